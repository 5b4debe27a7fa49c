package dev.esactors.core.model;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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
    FUSED;

    private static final long[] LAST = {-1};
    private static final long[] SLOTS = {3};

    /**
     * softmax(q k^T scale + mask) v for a single query position, as broadcast products and sums: q (B, H, 1, hd),
     * k and v (B, Hkv, S, hd), mask (B, 1, 1, S), scale 1 / sqrt(hd). The H query heads are split into Hkv groups
     * of G, so grouped key/value heads need no repeat. Returns (B, H, 1, hd).
     */
    static Tensor broadcast(Tensor q, Tensor k, Tensor v, Tensor mask, Scalar scale) {
        long b = q.size(0);
        long kvHeads = k.size(1);
        long group = q.size(1) / kvHeads;
        long hd = q.size(3);
        Tensor queries = q.mul(scale).reshape(b, kvHeads, group, 1, hd);
        Tensor scores = queries.mul(k.unsqueeze(2)).sum(LAST, false, Decoder.NO_DTYPE); // (B, Hkv, G, S)
        Tensor weights = torch.softmax(scores.add_(mask.reshape(mask.size(0), 1, 1, -1)), -1);
        Tensor out = weights.unsqueeze(-1).mul(v.unsqueeze(2)).sum(SLOTS, false, Decoder.NO_DTYPE);
        return out.view(b, q.size(1), 1, hd); // (B, Hkv, G, hd) -> (B, H, 1, hd)
    }

    /**
     * softmax(q k^T scale + mask) v for a single query position as two batched matrix products: the G query
     * heads of each key/value head are the rows of one (G, hd) x (hd, S) product, for each of the B x Hkv heads.
     * q (B, H, 1, hd); k and v (B, Hkv, S, hd), mask (B, 1, 1, S). Returns (B, H, 1, hd).
     */
    static Tensor batched(Tensor q, Tensor k, Tensor v, Tensor mask, Scalar scale) {
        long b = q.size(0);
        long kvHeads = k.size(1);
        long group = q.size(1) / kvHeads;
        long hd = q.size(3);
        long s = k.size(2);
        Tensor queries = q.mul(scale).reshape(b * kvHeads, group, hd);
        Tensor scores = torch.bmm(queries, k.reshape(b * kvHeads, s, hd).transpose(1, 2)); // (B Hkv, G, S)
        scores.view(b, kvHeads, group, s).add_(mask.reshape(mask.size(0), 1, 1, -1));
        Tensor out = torch.bmm(torch.softmax(scores, -1), v.reshape(b * kvHeads, s, hd)); // (B Hkv, G, hd)
        return out.view(b, q.size(1), 1, hd);
    }
}
