package dev.esactors.core.rl;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The GRPO objective as a loss to minimise, per token: the PPO clipped surrogate
 * -min(rho A, clip(rho, 1 - epsilon, 1 + epsilon) A) with rho = exp(log pi - log pi_old), plus beta times the k3
 * estimate of KL(pi || pi_ref), exp(log pi_ref - log pi) - (log pi_ref - log pi) - 1 (Schulman's unbiased,
 * non-negative estimator, as in DeepSeekMath's GRPO). Tokens are aggregated over the completion mask.
 *
 * @param clipEpsilon PPO's epsilon (0.2 in GRPO)
 * @param beta        the KL coefficient; 0 drops the term (no reference model needed, as in Dr.GRPO)
 * @param aggregation how per-token losses become one number
 */
public record GrpoLoss(double clipEpsilon, double beta, Aggregation aggregation) {

    /** How per-token losses are combined. */
    public enum Aggregation {
        /** the mean over every completion token of the batch (longer completions weigh more) */
        TOKEN_MEAN,
        /** per completion the sum over its tokens, then the mean over completions (Dr.GRPO: no length bias) */
        SEQ_MEAN_TOKEN_SUM
    }

    public GrpoLoss {
        if (!(clipEpsilon > 0 && clipEpsilon < 1)) {
            throw new IllegalArgumentException("the clip epsilon must be in (0, 1), got " + clipEpsilon);
        }
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("the KL coefficient beta must be finite and >= 0, got " + beta);
        }
    }

    /**
     * The loss of a batch of B completions over L token columns.
     *
     * @param logProbs    (B, L) log pi of each token under the policy being trained (with autograd)
     * @param oldLogProbs (B, L) under the policy that sampled them (no grad); equal to logProbs on the first pass
     * @param refLogProbs (B, L) under the reference model (no grad); ignored, may be null, when beta is 0
     * @param mask        (B, L) 1 for completion tokens, 0 elsewhere
     * @param advantages  (B) one advantage per completion
     */
    public Tensor loss(Tensor logProbs, Tensor oldLogProbs, Tensor refLogProbs, Tensor mask, Tensor advantages) {
        Tensor a = advantages.unsqueeze(1); // (B, 1)
        Tensor ratio = torch.exp(logProbs.sub(oldLogProbs.detach()));
        Tensor clipped = torch.clamp(ratio, new ScalarOptional(new Scalar(1 - clipEpsilon)),
                new ScalarOptional(new Scalar(1 + clipEpsilon)));
        Tensor perToken = torch.minimum(ratio.mul(a), clipped.mul(a)).neg(); // (B, L)
        if (beta > 0) {
            Tensor delta = refLogProbs.detach().sub(logProbs); // log pi_ref - log pi
            Tensor k3 = torch.exp(delta).sub(delta).sub(new Scalar(1.0));
            perToken = perToken.add(k3.mul(new Scalar(beta)));
        }
        Tensor masked = perToken.mul(mask);
        return switch (aggregation) {
            case TOKEN_MEAN -> masked.sum().div(torch.clamp(mask.sum(), new ScalarOptional(new Scalar(1.0))));
            case SEQ_MEAN_TOKEN_SUM -> masked.sum(1).mean();
        };
    }
}
