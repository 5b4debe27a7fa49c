package dev.esactors.core.es.noise;

/** How a member's seed becomes per-tensor noise. */
public enum NoiseMode {
    /** Independent N(0,1) per tensor: the generator of tensor i is seeded with a mix of (member seed, i). */
    PER_TENSOR,
    /**
     * The paper's original code: every tensor's generator is seeded with the member seed itself, so tensors of
     * the same size receive the same noise. Kept to reproduce published runs.
     */
    SHARED_SEED;

    long seedFor(long memberSeed, int tensorIndex) {
        return this == SHARED_SEED ? memberSeed : SeedSchedule.tensorSeed(memberSeed, tensorIndex);
    }
}
