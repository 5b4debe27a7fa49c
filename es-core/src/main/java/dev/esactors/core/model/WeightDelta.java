package dev.esactors.core.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Per-member changes to the weights, applied inside the forward pass instead of written into the parameters:
 * how several ES population members share one batched forward pass (EGGROLL's low-rank perturbations). The
 * batch's rows belong to {@link #members()} members in member-major order: with R = rows / M, member m owns rows
 * [m R, (m + 1) R). The parameters themselves never change.
 */
public interface WeightDelta {

    /** No change: one member, the parameters as they are (the forward pass skips the per-member arithmetic). */
    WeightDelta NONE = new WeightDelta() {
        @Override
        public int members() {
            return 1;
        }

        @Override
        public Tensor linear(String name, Tensor x, Tensor y) {
            return y;
        }

        @Override
        public Tensor embedding(String name, Tensor ids) {
            return null;
        }

        @Override
        public Tensor vector(String name) {
            return null;
        }
    };

    /** M, the number of members whose rows share the batch. */
    int members();

    /**
     * y plus the change to x W^T of matrix {@code name}'s perturbations: x is (M, R, in), y = x W^T (M, R, out);
     * y itself when {@code name} is not perturbed. y is the forward's own tensor: it may be added to in place
     * when it records no gradient.
     */
    Tensor linear(String name, Tensor x, Tensor y);

    /**
     * The addition to the embedding rows of {@code ids} (M, R) for embedding matrix {@code name}: (M, R, D); null
     * when it is not perturbed.
     */
    Tensor embedding(String name, Tensor ids);

    /** The addition (M, 1, n) to vector {@code name} (a norm weight or a bias); null when it is not perturbed. */
    Tensor vector(String name);
}
