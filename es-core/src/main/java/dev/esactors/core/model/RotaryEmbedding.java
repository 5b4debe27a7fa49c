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
    private Tensor sin;
    private long positions;

    RotaryEmbedding(ModelConfig config, Device device, ScalarType dtype) {
        this.inverseFrequencies = config.rope().inverseFrequencies(config.headDim());
        this.device = device;
        this.dtype = dtype;
        ensure(Math.min(config.maxPositions(), 256));
    }

    /** cos and sin for {@code positions} (B, T): each (B, 1, T, hd), ready to broadcast over heads. */
    Tensor[] at(Tensor positions, long maxPosition) {
        ensure(maxPosition + 1);
        long b = positions.size(0);
        long t = positions.size(1);
        Tensor flat = positions.reshape(-1);
        long hd = 2L * inverseFrequencies.length;
        Tensor c = cos.index_select(0, flat).view(b, 1, t, hd);
        Tensor s = sin.index_select(0, flat).view(b, 1, t, hd);
        return new Tensor[] {c, s};
    }

    /** x * cos + rotate_half(x) * sin, for x (B, heads, T, hd). */
    static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        long half = x.size(3) / 2;
        Tensor x1 = x.narrow(3, 0, half);
        Tensor x2 = x.narrow(3, half, half);
        Tensor rotated = torch.cat(new TensorVector(x2.neg(), x1), 3);
        return x.mul(cos).add(rotated.mul(sin));
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
            newCos.retainReference();
            newSin.retainReference();
            release();
            cos = newCos;
            sin = newSin;
        }
        positions = size;
    }

    private void release() {
        if (cos != null) {
            cos.releaseReference();
            sin.releaseReference();
        }
    }
}
