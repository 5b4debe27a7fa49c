package dev.esactors.core.model;

import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Rotary position embeddings in Hugging Face's rotate-half layout: cos/sin tables are computed in float32
 * as transformers does, grown on demand, and gathered per (sequence, position).
 */
final class RotaryEmbedding {

    private final float[] inverseFrequencies;
    private final Device device;
    private final ScalarType dtype;
    private Tensor cos; // (P, hd) in the working dtype
    private Tensor signedSin; // sin with the first half of each row negated
    private final long[] halfShift; // roll by hd / 2 along the head dimension
    private final long[] headDimension = {3};
    private long positions;

    RotaryEmbedding(ModelConfig config, Device device, ScalarType dtype) {
        this.inverseFrequencies = config.rope().inverseFrequencies(config.headDim());
        this.halfShift = new long[] {inverseFrequencies.length};
        this.device = device;
        this.dtype = dtype;
        ensure(Math.min(config.maxPositions(), 256));
    }

    /**
     * cos and the signed sin for {@code positions} (B, T): each (B, 1, T, hd), ready to broadcast over heads (see
     * {@link #apply} for the sign).
     */
    Tensor[] at(Tensor positions, long maxPosition) {
        ensure(maxPosition + 1);
        long b = positions.size(0);
        long t = positions.size(1);
        Tensor flat = positions.reshape(-1);
        long hd = 2L * inverseFrequencies.length;
        Tensor c = cos.index_select(0, flat).view(b, 1, t, hd);
        Tensor s = signedSin.index_select(0, flat).view(b, 1, t, hd);
        return new Tensor[] {c, s};
    }

    /**
     * {@link #at} for one position per row, into {@code cos} and {@code signedSin} (B, hd): {@code positions} (B).
     */
    void gather(Tensor positions, long maxPosition, Tensor cosOut, Tensor signedSinOut) {
        ensure(maxPosition + 1);
        torch.index_select_out(cosOut, cos, 0, positions);
        torch.index_select_out(signedSinOut, signedSin, 0, positions);
    }

    /**
     * x * cos + rotate_half(x) * sin, for x (B, heads, T, hd), with rotate_half(x) = [-x2, x1]. Computed as
     * x * cos + roll(x) * signedSin, where roll(x) = [x2, x1] and signedSin = [-sin1, sin2]: the same products
     * ((-a) b and a (-b) are the same number), so the same bits, in 4 LibTorch calls instead of 8 (two narrows, a
     * negation and a concatenation made one roll; at small batch a decode step is its calls).
     */
    Tensor apply(Tensor x, Tensor cos, Tensor signedSin) {
        return x.mul(cos).add_(torch.roll(x, halfShift, headDimension).mul_(signedSin));
    }

    private void ensure(long needed) {
        if (needed <= positions) {
            return;
        }
        long size = Math.max(needed, positions * 2);
        // Detached from any caller's PointerScope: the tables outlive the step that grew them.
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            Tensor inv = TensorData.floats(inverseFrequencies, inverseFrequencies.length);
            Tensor pos = torch.arange(new org.bytedeco.pytorch.Scalar(size)).to(ScalarType.Float);
            Tensor freqs = torch.outer(pos, inv); // (P, hd/2), float32 as in transformers
            Tensor emb = torch.cat(new TensorVector(freqs, freqs), 1); // (P, hd)
            Tensor newCos = emb.cos().to(device, dtype);
            Tensor newSin = emb.sin().to(device, dtype);
            long half = inverseFrequencies.length;
            newSin.narrow(1, 0, half).neg_(); // the sign rotate_half puts on the first half (see apply)
            newCos.retainReference();
            newSin.retainReference();
            release();
            cos = newCos;
            signedSin = newSin;
        }
        positions = size;
    }

    private void release() {
        if (cos != null) {
            cos.releaseReference();
            signedSin.releaseReference();
        }
    }
}
