package dev.esactors.core.model;

/**
 * How a decode step (one query position per row) computes attention over its cached slots. All three agree to
 * rounding; which one runs depends on the device and on the size of the step (see {@link Decoder}).
 */
enum StepAttention {
    /**
     * Broadcast products and sums on the CPU while (B, heads, S, hd) stays within a few MB and heads are at most 32
     * wide: the fewest calls, and on small models LibTorch's per-call costs are the step.
     */
    BROADCAST,
    /**
     * Two batched matrix products over (B x kvHeads) matrices on the CPU, for larger steps and wider heads: no
     * (B, heads, S, hd) temporary, whose memory traffic outgrows the calls it saves.
     */
    BATCHED,
    /** scaled_dot_product_attention: GPUs' fused kernels. */
    FUSED
}
