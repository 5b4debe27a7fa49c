package dev.esactors.core.rl;

import dev.esactors.core.optim.AdamMoments;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) over a list of parameters, written with LibTorch ops in the order LibTorch's own
 * {@code torch::optim::AdamW} uses (decoupled decay, then the moments, then the bias-corrected step), so that its
 * state can be checkpointed: the JavaCPP binding gives no access to LibTorch's optimizer state. {@code AdamWTest}
 * checks it step for step against LibTorch's.
 *
 * @see <a href="https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html">torch.optim.AdamW</a>
 */
public final class AdamW {

    private final List<Tensor> parameters;
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final AdamMoments moments;

    /** An optimizer of {@code parameters} (which must require grad) with zero moments. */
    public AdamW(List<Tensor> parameters, double learningRate, double beta1, double beta2, double epsilon,
                 double weightDecay) {
        this.parameters = List.copyOf(parameters);
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        boolean[] all = new boolean[parameters.size()];
        java.util.Arrays.fill(all, true);
        this.moments = new AdamMoments(parameters, all, "AdamW");
    }

    /** Steps taken so far. */
    public long step() {
        return moments.steps();
    }

    /** Clears the parameters' gradients. */
    public void zeroGrad() {
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g.defined()) {
                g.zero_();
            }
        }
    }

    /**
     * Scales the parameters' gradients down so that their global norm is at most {@code maxNorm} (LibTorch's
     * clip_grad_norm_; an infinite bound leaves them as they are) and returns the norm before clipping.
     */
    public double clipGradNorm(double maxNorm) {
        TensorVector v = new TensorVector();
        parameters.forEach(v::push_back);
        return torch.clip_grad_norm_(v, maxNorm);
    }

    /** One step along the parameters' gradients (parameters without one are left alone). */
    public void update() {
        update(learningRate);
    }

    /** {@link #update()} at {@code learningRate} instead of the optimizer's own (a warm-up, a schedule). */
    public void update(double learningRate) {
        moments.advance();
        double bias1 = moments.correction(beta1);
        double bias2 = moments.correction(beta2);
        double stepSize = learningRate / bias1;
        for (int i = 0; i < parameters.size(); i++) {
            Tensor g = parameters.get(i).grad();
            if (!g.defined()) {
                continue;
            }
            Tensor p = parameters.get(i).detach(); // in place on the leaf's data, outside autograd
            p.mul_(new Scalar(1 - learningRate * weightDecay));
            Tensor[] mv = moments.accumulate(i, g, beta1, beta2);
            Tensor denominator = mv[1].sqrt().div_(new Scalar(Math.sqrt(bias2))).add_(new Scalar(epsilon));
            p.addcdiv_(mv[0], denominator, new Scalar(-stepSize));
        }
    }

    /**
     * The moments by parameter name ({@code names} in the order of the parameters), for a checkpoint: named
     * {@code adam.m.*} and {@code adam.v.*}, as {@link dev.esactors.core.state.CheckpointStore} keeps optimizer state.
     */
    public Map<String, Tensor> state(List<String> names) {
        return moments.export(names);
    }

    /** Restores the moments of {@link #state} and the step count. */
    public void load(List<String> names, Map<String, Tensor> state, long steps) {
        moments.load(names, state, steps);
    }
}
