package dev.esactors.core.es.noise;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Fills buffers with N(0,1) noise from LibTorch's seeded generator of the buffer's device type. CPU and CUDA
 * generators draw different numbers from the same seed, which is why a run never mixes device types.
 *
 * <p>A large tensor's noise can be drawn in chunks from one generator ({@link #stream}, {@link #chunks}) with the
 * numbers of a single fill, on a CPU: LibTorch's CPU normal fill of a contiguous float tensor of at least 16 draws
 * all its uniforms in order, turns each block of 16 into normals (Box-Muller) and, when the size is not a multiple
 * of 16, draws 16 more for the last 16 elements; so chunks whose lengths are multiples of 16, the last one at least
 * 16 long, continue the stream exactly ({@code NoiseSourceTest}). CUDA's generator advances by launch, not by
 * element, so there a tensor is always one chunk.
 */
public final class NoiseSource {

    private final NoiseMode mode;
    private long draws;

    public NoiseSource(NoiseMode mode) {
        this.mode = mode;
    }

    /** The generator of tensor {@code index}'s noise for {@code memberSeed}, to draw it chunk by chunk. */
    public GeneratorOptional stream(Device device, long memberSeed, int index) {
        draws++;
        return new GeneratorOptional(generator(device, mode.seedFor(memberSeed, index)));
    }

    /** Overwrites {@code buffer} (contiguous float32) with the next numbers of {@code stream}. */
    public static Tensor fill(Tensor buffer, GeneratorOptional stream) {
        return torch.randn_out(buffer, buffer.sizes(), stream);
    }

    /**
     * The boundaries of {@code numel} elements in chunks of {@code chunk} (a multiple of 16) on a CPU, the remainder
     * joining the last chunk when it is shorter than 16 (see the class comment): {0, ..., numel}. One chunk on a GPU.
     */
    public static long[] chunks(long numel, long chunk, Device device) {
        if (chunk % 16 != 0 || chunk < 16) {
            throw new IllegalArgumentException("noise chunks must be a positive multiple of 16, got " + chunk);
        }
        if (device.is_cuda() || numel <= chunk) {
            return new long[] {0, numel};
        }
        // a remainder of 16 or more is a chunk of its own; a shorter one goes with the last whole chunk
        long count = numel / chunk + (numel % chunk >= 16 ? 1 : 0);
        long[] bounds = new long[(int) count + 1];
        for (int k = 0; k < count; k++) {
            bounds[k] = k * chunk;
        }
        bounds[(int) count] = numel;
        return bounds;
    }

    /** How many tensors' noise {@link #stream} has been asked for (each a fresh draw from its seed). */
    public long draws() {
        return draws;
    }

    /** Overwrites {@code buffer} (contiguous float32) with the stream of N(0,1) drawn from {@code seed} itself. */
    public Tensor fillStream(Tensor buffer, long seed) {
        return torch.randn_out(buffer, buffer.sizes(), new GeneratorOptional(generator(buffer.device(), seed)));
    }

    private static Generator generator(Device device, long seed) {
        if (device.is_cuda()) {
            Generator g = torch_cuda.make_generator_cuda(device.index());
            g.set_current_seed(seed);
            return g;
        }
        return torch.createCPUGenerator(seed);
    }
}
