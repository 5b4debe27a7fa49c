package dev.esactors.core.es.noise;

import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.List;

/**
 * Low-rank noise. A member's noise for every selected tensor comes from one stream of standard normals drawn from
 * the member's seed: a matrix W (out, in) takes A (out, r) then B (in, r) at its offset, and its noise is
 * A B^T / sqrt(r) (unit variance per element); a vector takes its n values. One draw per member (not per tensor)
 * and stacked streams make a population's factors views of one (members, length) tensor, so building a batched
 * pass and summing an update cost a few tensor ops per parameter, not per parameter and member.
 */
public final class LowRankNoise {

    /** Members whose streams are held at once while an update is summed (bounds the memory, fixes the order). */
    static final int CHUNK = 256;

    private final NoiseSource noise;
    private final int rank;
    private final double scale;
    private final long[][] shapes;
    private final long[] offsets; // per parameter index; -1 when not selected
    private final long length;
    private final TensorOptions f32;
    private final Device device;

    public LowRankNoise(NoiseSource noise, int rank, List<long[]> shapes, boolean[] selected, Device device) {
        this.noise = noise;
        this.rank = rank;
        this.scale = 1 / Math.sqrt(rank);
        this.shapes = shapes.toArray(new long[0][]);
        this.offsets = new long[shapes.size()];
        long at = 0;
        for (int i = 0; i < shapes.size(); i++) {
            offsets[i] = selected[i] ? at : -1;
            if (selected[i]) {
                at += size(this.shapes[i]);
            }
        }
        this.length = at;
        this.device = device;
        this.f32 = new TensorOptions(ScalarType.Float).device(new DeviceOptional(device));
    }

    public int rank() {
        return rank;
    }

    /** 1 / sqrt(r): the factor that gives A B^T / sqrt(r) unit variance. */
    public double scale() {
        return scale;
    }

    private long size(long[] shape) {
        return shape.length == 2 ? (shape[0] + shape[1]) * rank : product(shape);
    }

    /** The members' streams, row k for member k: a new (members, length) tensor the caller owns. */
    public Tensor streams(List<Member> members) {
        Tensor out = torch.empty(new long[] {members.size(), length}, f32, null);
        try (PointerScope scope = new PointerScope()) {
            for (int k = 0; k < members.size(); k++) {
                noise.fillStream(out.select(0, k), members.get(k).seed());
            }
        }
        return out;
    }

    public boolean isMatrix(int index) {
        return shapes[index].length == 2;
    }

    /** Tensor {@code index}'s factors in one member's stream (1-D): {A (out, r), B (in, r)}, views. */
    public Tensor[] factors(Tensor stream, int index) {
        long out = shapes[index][0];
        long in = shapes[index][1];
        long at = offsets[index];
        return new Tensor[] {stream.narrow(0, at, out * rank).view(out, rank),
                stream.narrow(0, at + out * rank, in * rank).view(in, rank)};
    }

    /** Vector {@code index}'s noise in one member's stream, a view. */
    public Tensor vector(Tensor stream, int index) {
        return stream.narrow(0, offsets[index], product(shapes[index]));
    }

    /**
     * Matrix {@code index}'s factors for every member of {@code streams} (M, length), for a batched pass:
     * {A^T (M, r, out) with member k's scaled by {@code scales[k]}, B (M, in, r)}, new contiguous tensors.
     */
    public Tensor[] stackedFactors(Tensor streams, int index, Tensor scales) {
        long m = streams.size(0);
        long out = shapes[index][0];
        long in = shapes[index][1];
        long at = offsets[index];
        Tensor a = streams.narrow(1, at, out * rank).view(m, out, rank);
        Tensor aT = a.mul(scales.view(m, 1, 1)).transpose(1, 2).contiguous();
        Tensor b = streams.narrow(1, at + out * rank, in * rank).view(m, in, rank).contiguous();
        return new Tensor[] {aT, b};
    }

    /** Vector {@code index}'s noise for every member, member k's scaled by {@code scales[k]}: (M, 1, n), new. */
    public Tensor stackedVector(Tensor streams, int index, Tensor scales) {
        long m = streams.size(0);
        long n = product(shapes[index]);
        return streams.narrow(1, offsets[index], n).mul(scales.view(m, 1)).view(m, 1, n);
    }

    /**
     * Adds sum_k c_k eps_k(tensor {@code index}) over the members of {@code streams} (C, length) to {@code sum}
     * (shaped like the tensor): one matrix product per tensor, A diag(c) B^T for a matrix (with the 1 / sqrt(r)
     * folded into c by the caller) and c^T V for a vector. Each element's sum over members is one BLAS dot
     * product in a fixed order, so every replica of a device type computes the same bits.
     */
    public void accumulate(Tensor sum, Tensor streams, int index, Tensor coefficients) {
        long c = streams.size(0);
        long at = offsets[index];
        if (isMatrix(index)) {
            long out = shapes[index][0];
            long in = shapes[index][1];
            Tensor a = streams.narrow(1, at, out * rank).view(c, out, rank).mul(coefficients.view(c, 1, 1))
                    .permute(1, 0, 2).reshape(out, c * rank);
            Tensor b = streams.narrow(1, at + out * rank, in * rank).view(c, in, rank).permute(1, 0, 2)
                    .reshape(in, c * rank);
            sum.addmm_(a, b.t(), new Scalar(1.0), new Scalar(1.0));
        } else {
            long n = product(shapes[index]);
            sum.view(1, n).addmm_(coefficients.view(1, c), streams.narrow(1, at, n), new Scalar(1.0), new Scalar(1.0));
        }
    }

    /**
     * Per-member factors as float32 tensors on the noise's device: {matrices: {@code perMember} / sqrt(r) (the
     * scale of A B^T / sqrt(r)), vectors: {@code perMember}}.
     */
    public Tensor[] scales(double[] perMember) {
        float[] matrix = new float[perMember.length];
        float[] vector = new float[perMember.length];
        for (int k = 0; k < perMember.length; k++) {
            vector[k] = (float) perMember[k];
            matrix[k] = (float) (perMember[k] * scale);
        }
        return new Tensor[] {TensorData.floats(matrix, matrix.length).to(device, ScalarType.Float),
                TensorData.floats(vector, vector.length).to(device, ScalarType.Float)};
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** The member lists of consecutive chunks of at most {@link #CHUNK} of {@code members}. */
    public static List<List<Member>> chunks(List<Member> members) {
        List<List<Member>> out = new ArrayList<>();
        for (int from = 0; from < members.size(); from += CHUNK) {
            out.add(members.subList(from, Math.min(members.size(), from + CHUNK)));
        }
        return out;
    }
}
