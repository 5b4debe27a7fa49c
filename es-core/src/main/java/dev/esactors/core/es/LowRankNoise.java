package dev.esactors.core.es;

import org.bytedeco.pytorch.Tensor;

/**
 * A member's low-rank noise for one tensor, regenerated from (member seed, tensor index) like full-rank noise: a
 * matrix (out, in) draws (out + in) x r standard normals, the first out x r are A (out, r), the rest B (in, r), and
 * its noise is A B^T / sqrt(r) (unit variance per element); a vector draws its full-rank noise.
 */
final class LowRankNoise {

    private final NoiseSource noise;
    private final int rank;
    private final double scale;

    LowRankNoise(NoiseSource noise, int rank) {
        this.noise = noise;
        this.rank = rank;
        this.scale = 1 / Math.sqrt(rank);
    }

    int rank() {
        return rank;
    }

    /** 1 / sqrt(r): the factor that gives A B^T / sqrt(r) unit variance. */
    double scale() {
        return scale;
    }

    /** How many floats the noise of a tensor shaped {@code shape} takes in the buffer. */
    long size(long[] shape) {
        return shape.length == 2 ? (shape[0] + shape[1]) * rank : product(shape);
    }

    /** The factors {A (out, r), B (in, r)} of matrix {@code index}, as views of {@code buffer} (overwritten). */
    Tensor[] factors(Tensor buffer, long[] shape, long memberSeed, int index) {
        long out = shape[0];
        long in = shape[1];
        Tensor flat = noise.fill(buffer.narrow(0, 0, (out + in) * rank), memberSeed, index);
        return new Tensor[] {flat.narrow(0, 0, out * rank).view(out, rank), flat.narrow(0, out * rank, in * rank)
                .view(in, rank)};
    }

    /** The full-rank noise of vector {@code index}, as a view of {@code buffer} (overwritten). */
    Tensor vector(Tensor buffer, long length, long memberSeed, int index) {
        return noise.fill(buffer.narrow(0, 0, length), memberSeed, index);
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
