package dev.esactors.core.es;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Fills buffers with N(0,1) noise from LibTorch's seeded generator of the buffer's device type. CPU and CUDA
 * generators draw different numbers from the same seed, which is why a run never mixes device types.
 */
final class NoiseSource {

    private final NoiseMode mode;
    private long draws;

    NoiseSource(NoiseMode mode) {
        this.mode = mode;
    }

    /** Overwrites {@code buffer} (contiguous float32) with the noise of tensor {@code index} for {@code memberSeed}. */
    Tensor fill(Tensor buffer, long memberSeed, int index) {
        draws++;
        Generator generator = generator(buffer.device(), mode.seedFor(memberSeed, index));
        return torch.randn_out(buffer, buffer.sizes(), new GeneratorOptional(generator));
    }

    /** How many tensors' noise {@link #fill} has drawn. */
    long draws() {
        return draws;
    }

    /** Overwrites {@code buffer} (contiguous float32) with the stream of N(0,1) drawn from {@code seed} itself. */
    Tensor fillStream(Tensor buffer, long seed) {
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
