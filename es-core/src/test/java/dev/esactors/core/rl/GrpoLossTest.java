package dev.esactors.core.rl;

import dev.esactors.core.torch.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GRPO objective on a one-step toy policy (a softmax over four actions, one token per completion), against the
 * policy gradient worked out by hand: it moves probability toward the rewarded action, the clip stops it where the
 * ratio has left the trust region, and the k3 KL term pulls toward the reference.
 */
class GrpoLossTest {

    private static final int[] ACTIONS = {0, 2, 1, 2, 3, 0}; // a group of G = 6 sampled actions
    private static final double[] THETA = {0.3, -0.2, 0.1, 0.5};
    private static final int REWARDED = 2;

    @BeforeAll
    static void libtorch() {
        Torch.load();
    }

    @Test
    void theLossMovesProbabilityTowardTheRewardedActionAlongThePolicyGradient() {
        double[] rewards = new double[ACTIONS.length];
        for (int i = 0; i < ACTIONS.length; i++) {
            rewards[i] = ACTIONS[i] == REWARDED ? 1 : 0;
        }
        double[] a = GroupAdvantages.of(rewards, ACTIONS.length, GroupAdvantages.Scaling.STD);
        Tensor theta = doubles(THETA).requires_grad_(true);
        Tensor logp = logProbs(theta);
        new GrpoLoss(0.2, 0, GrpoLoss.Aggregation.TOKEN_MEAN)
                .loss(logp, logp.detach(), null, ones(), doubles(a)).backward();
        double[] pi = softmax(THETA);
        double[] expected = new double[THETA.length];
        for (int i = 0; i < ACTIONS.length; i++) {
            // d/dtheta of -(1/G) sum_i A_i log pi(a_i), with d log pi(a)/d theta = e_a - pi
            for (int k = 0; k < THETA.length; k++) {
                expected[k] -= a[i] * ((k == ACTIONS[i] ? 1 : 0) - pi[k]) / ACTIONS.length;
            }
        }
        double[] grad = values(theta.grad());
        assertArrayEquals(expected, grad, 1e-12);
        double[] stepped = new double[THETA.length];
        for (int k = 0; k < THETA.length; k++) {
            stepped[k] = THETA[k] - 0.5 * grad[k];
        }
        assertTrue(softmax(stepped)[REWARDED] > pi[REWARDED] + 0.01, "a gradient step raises pi(rewarded): "
                + pi[REWARDED] + " -> " + softmax(stepped)[REWARDED]);
    }

    @Test
    void outsideTheTrustRegionTheClipStopsTheGradientOfPositiveAdvantages() {
        double[] a = {1.0, -0.5, 2.0, -1.5, 0.3, -1.3};
        Tensor theta = doubles(THETA).requires_grad_(true);
        Tensor logp = logProbs(theta);
        // The sampling policy gave every action e^-0.5 times today's probability: the ratio is e^0.5 > 1.2.
        Tensor old = logp.detach().sub(new org.bytedeco.pytorch.Scalar(0.5));
        new GrpoLoss(0.2, 0, GrpoLoss.Aggregation.TOKEN_MEAN).loss(logp, old, null, ones(), doubles(a)).backward();
        double[] pi = softmax(THETA);
        double ratio = Math.exp(0.5);
        double[] expected = new double[THETA.length];
        for (int i = 0; i < ACTIONS.length; i++) {
            if (a[i] < 0) { // min(rho A, 1.2 A) = rho A: unclipped, the gradient flows
                for (int k = 0; k < THETA.length; k++) {
                    expected[k] -= a[i] * ratio * ((k == ACTIONS[i] ? 1 : 0) - pi[k]) / ACTIONS.length;
                }
            } // a[i] > 0: min picks the clipped constant 1.2 A, no gradient
        }
        assertArrayEquals(expected, values(theta.grad()), 1e-12);
    }

    @Test
    void theK3TermPullsTowardTheReference() {
        double[] a = new double[ACTIONS.length]; // no reward signal: only the KL term acts
        double[] reference = {1.0, 0.0, 0.0, -1.0};
        Tensor theta = doubles(THETA).requires_grad_(true);
        Tensor logp = logProbs(theta);
        Tensor ref = logProbs(doubles(reference));
        double beta = 0.1;
        Tensor loss = new GrpoLoss(0.2, beta, GrpoLoss.Aggregation.TOKEN_MEAN)
                .loss(logp, logp.detach(), ref, ones(), doubles(a));
        double[] pi = softmax(THETA);
        double[] piRef = softmax(reference);
        double k3 = 0;
        double[] expected = new double[THETA.length];
        for (int action : ACTIONS) {
            double delta = Math.log(piRef[action]) - Math.log(pi[action]);
            k3 += Math.exp(delta) - delta - 1;
            // d/d log pi of exp(delta) - delta - 1, delta = log pi_ref - log pi: 1 - exp(delta)
            for (int k = 0; k < THETA.length; k++) {
                expected[k] += beta * (1 - Math.exp(delta)) * ((k == action ? 1 : 0) - pi[k]) / ACTIONS.length;
            }
        }
        assertEquals(beta * k3 / ACTIONS.length, loss.item_double(), 1e-12);
        assertTrue(k3 > 0, "k3 is non-negative and zero only at the reference");
        loss.backward();
        assertArrayEquals(expected, values(theta.grad()), 1e-12);
    }

    @Test
    void tokenMeanWeighsTokensAndSeqMeanTokenSumWeighsCompletions() {
        // Two completions of 2 and 1 tokens (a third column of padding); ratio 1, advantages 1 and 3.
        Tensor logp = doubles(new double[] {-1, -2, -9, -3, -9, -9}).view(2, 3);
        Tensor mask = doubles(new double[] {1, 1, 0, 1, 0, 0}).view(2, 3);
        Tensor a = doubles(new double[] {1, 3});
        double tokenMean = new GrpoLoss(0.2, 0, GrpoLoss.Aggregation.TOKEN_MEAN).loss(logp, logp, null, mask, a)
                .item_double();
        double seqMean = new GrpoLoss(0.2, 0, GrpoLoss.Aggregation.SEQ_MEAN_TOKEN_SUM)
                .loss(logp, logp, null, mask, a).item_double();
        assertEquals(-(1 + 1 + 3) / 3.0, tokenMean, 1e-12);
        assertEquals(-(2 + 3) / 2.0, seqMean, 1e-12);
    }

    @Test
    void drGrpoIsThePolicyGradientWithoutStdOrLengthNormalisation() {
        // Dr.GRPO (Liu et al. 2025): advantages r - mean(r) without dividing by the group's std, and each completion's
        // token terms summed, not averaged over its length. A toy policy softmax(theta) emits each token
        // independently; a group of 4 completions of 3, 1, 2 and 3 tokens (padded to 3), rewards 1, 0, 0, 0.5.
        int[][] completions = {{2, 2, 0}, {1}, {3, 2}, {0, 1, 2}};
        double[] rewards = {1, 0, 0, 0.5};
        double[] a = GroupAdvantages.of(rewards, 4, GroupAdvantages.Scaling.NONE);
        Tensor theta = doubles(THETA).requires_grad_(true);
        Tensor logSoftmax = torch.log_softmax(theta, 0);
        long[] tokens = new long[4 * 3];
        double[] mask = new double[4 * 3];
        for (int i = 0; i < completions.length; i++) {
            for (int t = 0; t < completions[i].length; t++) {
                tokens[i * 3 + t] = completions[i][t];
                mask[i * 3 + t] = 1;
            }
        }
        Tensor logp = logSoftmax.index_select(0, dev.esactors.core.torch.TensorData.longs(tokens, 12)).view(4, 3)
                .mul(doubles(mask).view(4, 3));
        new GrpoLoss(0.2, 0, GrpoLoss.Aggregation.SEQ_MEAN_TOKEN_SUM)
                .loss(logp, logp.detach(), null, doubles(mask).view(4, 3), doubles(a)).backward();
        // By hand: L = -(1/G) sum_i A_i sum_t log pi(a_it), so dL/dtheta_k = -(1/G) sum_i A_i sum_t (1[a_it = k] - pi_k).
        double mean = (1 + 0 + 0 + 0.5) / 4;
        double[] pi = softmax(THETA);
        double[] expected = new double[THETA.length];
        for (int i = 0; i < completions.length; i++) {
            double advantage = rewards[i] - mean;
            for (int token : completions[i]) {
                for (int k = 0; k < THETA.length; k++) {
                    expected[k] -= advantage * ((k == token ? 1 : 0) - pi[k]) / completions.length;
                }
            }
        }
        assertArrayEquals(expected, values(theta.grad()), 1e-12);
        // This project's token mean averages over the step's 9 completion tokens at once (DAPO's, not the original
        // GRPO's per-completion 1/|o_i|): the same direction scaled by G / tokens, a scale that changes from step to
        // step with the completions' lengths, which Dr.GRPO's sum does not.
        Tensor theta2 = doubles(THETA).requires_grad_(true);
        Tensor logp2 = torch.log_softmax(theta2, 0).index_select(0, dev.esactors.core.torch.TensorData.longs(tokens,
                12)).view(4, 3).mul(doubles(mask).view(4, 3));
        new GrpoLoss(0.2, 0, GrpoLoss.Aggregation.TOKEN_MEAN)
                .loss(logp2, logp2.detach(), null, doubles(mask).view(4, 3), doubles(a)).backward();
        double[] scaled = expected.clone();
        for (int k = 0; k < scaled.length; k++) {
            scaled[k] *= 4.0 / 9;
        }
        assertArrayEquals(scaled, values(theta2.grad()), 1e-12);
    }

    @Test
    void advantagesAreRelativeToTheGroupAndScaledByItsStdOrNot() {
        double[] rewards = {1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5};
        double std = Math.sqrt(4 * 0.25 / 3); // Bessel-corrected, as TRL computes it
        double z = 0.5 / (std + GroupAdvantages.EPSILON);
        assertArrayEquals(new double[] {z, -z, -z, z, 0, 0, 0, 0},
                GroupAdvantages.of(rewards, 4, GroupAdvantages.Scaling.STD), 1e-12);
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0},
                GroupAdvantages.of(rewards, 4, GroupAdvantages.Scaling.NONE), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.of(rewards, 3, GroupAdvantages.Scaling.STD));
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.of(new double[] {1, Double.NaN}, 2,
                GroupAdvantages.Scaling.NONE));
        assertThrows(IllegalArgumentException.class, () -> new GrpoLoss(0, 0, GrpoLoss.Aggregation.TOKEN_MEAN));
        assertThrows(IllegalArgumentException.class, () -> new GrpoLoss(0.2, -1, GrpoLoss.Aggregation.TOKEN_MEAN));
    }

    /** log pi(a_i) for the group's actions under softmax(theta): (G, 1). */
    private static Tensor logProbs(Tensor theta) {
        long[] actions = new long[ACTIONS.length];
        for (int i = 0; i < actions.length; i++) {
            actions[i] = ACTIONS[i];
        }
        Tensor index = dev.esactors.core.torch.TensorData.longs(actions, ACTIONS.length);
        return torch.log_softmax(theta, 0).index_select(0, index).unsqueeze(1);
    }

    private static Tensor ones() {
        return torch.ones(new long[] {ACTIONS.length, 1}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Double));
    }

    private static Tensor doubles(double[] values) {
        Tensor t = torch.empty(new long[] {values.length}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Double),
                null);
        for (int i = 0; i < values.length; i++) {
            t.narrow(0, i, 1).fill_(new org.bytedeco.pytorch.Scalar(values[i]));
        }
        return t;
    }

    private static double[] values(Tensor t) {
        double[] out = new double[(int) t.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.get(i).item_double();
        }
        return out;
    }

    private static double[] softmax(double[] theta) {
        double max = java.util.Arrays.stream(theta).max().orElseThrow();
        double sum = 0;
        double[] out = new double[theta.length];
        for (int k = 0; k < theta.length; k++) {
            out[k] = Math.exp(theta[k] - max);
            sum += out[k];
        }
        for (int k = 0; k < theta.length; k++) {
            out[k] /= sum;
        }
        return out;
    }
}
