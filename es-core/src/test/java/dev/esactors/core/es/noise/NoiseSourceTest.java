package dev.esactors.core.es.noise;

import dev.esactors.core.es.noise.NoiseMode;
import dev.esactors.core.es.noise.NoiseSource;
import dev.esactors.core.torch.DeviceSpec;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tensor's noise drawn in chunks from one generator is the noise of one fill, bit for bit, on a CPU. */
class NoiseSourceTest {

    private static final org.bytedeco.pytorch.Device CPU = DeviceSpec.CPU.toTorch();

    @Test
    void chunksAreMultiplesOf16AndNoChunkIsShorterThan16() {
        assertArrayEquals(new long[] {0, 100}, NoiseSource.chunks(100, 128, CPU));
        assertArrayEquals(new long[] {0, 32, 64, 96}, NoiseSource.chunks(96, 32, CPU));
        assertArrayEquals(new long[] {0, 32, 64, 100}, NoiseSource.chunks(100, 32, CPU), "a remainder of 4 joins");
        assertArrayEquals(new long[] {0, 32, 64, 96, 120}, NoiseSource.chunks(120, 32, CPU), "a remainder of 24 stays");
        assertArrayEquals(new long[] {0, 8}, NoiseSource.chunks(8, 16, CPU));
        assertThrows(IllegalArgumentException.class, () -> NoiseSource.chunks(100, 24, CPU));
    }

    @Test
    void noiseDrawnInChunksIsTheNoiseOfOneFill() {
        NoiseSource source = new NoiseSource(NoiseMode.PER_TENSOR);
        long[] sizes = {16, 17, 31, 32, 33, 47, 100, 1000, 1024 + 15, 4096 + 7, 5003, 65536 + 9};
        long[] chunks = {16, 32, 48, 1024};
        int compared = 0;
        for (long size : sizes) {
            Tensor whole = NoiseSource.fill(torch.empty(size), source.stream(CPU, 12345, 3));
            for (long chunk : chunks) {
                long[] bounds = NoiseSource.chunks(size, chunk, CPU);
                Tensor pieces = torch.empty(size);
                GeneratorOptional stream = source.stream(CPU, 12345, 3);
                for (int c = 0; c + 1 < bounds.length; c++) {
                    NoiseSource.fill(pieces.narrow(0, bounds[c], bounds[c + 1] - bounds[c]), stream);
                }
                assertTrue(whole.equal(pieces), "size " + size + " in chunks of " + chunk);
                compared += bounds.length > 2 ? 1 : 0;
            }
        }
        assertTrue(compared >= 20, "half the comparisons had several chunks: " + compared);
        // and what makes the rule necessary: a last chunk under 16 elements draws other numbers
        Tensor whole = NoiseSource.fill(torch.empty(40), source.stream(CPU, 7, 0));
        Tensor pieces = torch.empty(40);
        GeneratorOptional stream = source.stream(CPU, 7, 0);
        NoiseSource.fill(pieces.narrow(0, 0, 32), stream);
        NoiseSource.fill(pieces.narrow(0, 32, 8), stream);
        assertFalse(whole.equal(pieces), "a tail of 8 drawn on its own differs");
    }
}
