package dev.esactors.core.model;

import dev.esactors.core.io.SafetensorsFile;
import dev.esactors.core.io.SafetensorsWriter;
import dev.esactors.core.io.WeightFiles;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BF16 and F16 weight files load, convert exactly, and decode. */
class HalfPrecisionTest {

    @TempDir
    Path dir;

    /** The embedded model rewritten with every tensor in {@code dtype}. */
    private Path embeddedAs(DType dtype) throws IOException {
        Path source = EmbeddedModel.directory();
        Path out = Files.createDirectory(dir.resolve(dtype.name()));
        Files.copy(source.resolve("config.json"), out.resolve("config.json"));
        Map<String, Tensor> converted = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(source.resolve(WeightFiles.SINGLE))) {
            for (String name : f.tensors().keySet()) {
                converted.put(name, f.load(name).to(dtype.scalarType()));
            }
        }
        SafetensorsWriter.write(out.resolve(WeightFiles.SINGLE), converted, Map.of());
        try (SafetensorsFile written = SafetensorsFile.open(out.resolve(WeightFiles.SINGLE))) {
            written.tensors().values().forEach(e -> assertEquals(dtype, e.dtype(), e.name()));
        }
        return out;
    }

    private static int[] greedy(Decoder decoder, int tokens) {
        return new BatchGenerator(decoder).generate(List.of(new int[] {1}), tokens, Set.of(), SamplingConfig.GREEDY)
                .get(0).tokens();
    }

    private void halfFileLoadsExactlyAndDecodes(DType half) throws IOException {
        Path model = embeddedAs(half);
        Decoder f32 = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        Decoder widened = ModelLoader.load(model, DeviceSpec.CPU, DType.F32);
        for (String name : f32.parameters().keySet()) {
            // widening a half-precision file is exact: it equals the rounded fp32 weights
            Tensor rounded = f32.parameters().get(name).to(half.scalarType()).to(DType.F32.scalarType());
            assertTrue(rounded.equal(widened.parameters().get(name)), name);
        }
        Decoder native16 = ModelLoader.load(model, DeviceSpec.CPU, half);
        assertEquals(half, native16.dtype());
        int[] golden = Stories260KGoldenTest.goldenIds();
        int[] fromWidened = greedy(widened, 32);
        int[] fromHalf = greedy(native16, 32);
        assertEquals(32, fromHalf.length);
        // Rounding the weights to 8 (bf16) or 11 (f16) mantissa bits leaves the opening of the story intact.
        int prefix = 16;
        assertArrayEquals(Arrays.copyOf(golden, prefix), Arrays.copyOf(fromWidened, prefix), half + " widened to F32");
        assertArrayEquals(Arrays.copyOf(golden, prefix), Arrays.copyOf(fromHalf, prefix), half + " computed in " + half);
    }

    @Test
    void bf16WeightsLoadAndDecode() throws IOException {
        halfFileLoadsExactlyAndDecodes(DType.BF16);
    }

    @Test
    void f16WeightsLoadAndDecode() throws IOException {
        halfFileLoadsExactlyAndDecodes(DType.F16);
    }

    @Test
    void f32FileLoadsIntoHalfWorkingCopies() {
        Decoder bf16 = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.BF16);
        assertEquals(DType.BF16, DType.of(bf16.parameters().get("model.norm.weight").scalar_type()));
        assertEquals(16, greedy(bf16, 16).length);
    }

    @Test
    void aBatchedBf16PrefillDoesNotConvertTheOutputHeadToFloat32() throws IOException {
        // LibTorch's bf16 product of a strided input (the prefill's last positions) converted the whole weight to
        // float32 on every call: for this tied head of 65,536 x 1,024, 268 MB of peak memory per prefill (0.9 GB
        // and 6 s per batched prefill at Qwen2.5-1.5B's size). Measured by the process's peak resident memory,
        // reset just before the prefill (Linux).
        Path clearRefs = Path.of("/proc/self/clear_refs");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(clearRefs), "needs Linux's clear_refs");
        ModelConfig config = new ModelConfig(Architecture.LLAMA, 1024, 64, 1, 8, 8, 128, 65536, 64, 1e-5,
                RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);
        Decoder decoder = ModelLoader.random(config, 3, DeviceSpec.CPU, DType.BF16);
        BatchGenerator generator = new BatchGenerator(decoder);
        List<int[]> prompts = List.of(new int[] {5, 6, 7, 8, 9, 10, 11, 12}, new int[] {13, 14, 15});
        generator.generate(prompts, 1, Set.of(), SamplingConfig.GREEDY); // buffers and caches of this batch size
        long headFloat32 = 4L * config.vocabSize() * config.hiddenSize();
        long rise = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3; attempt++) { // the least of three, against other threads' allocations
            Files.writeString(clearRefs, "5"); // the peak restarts from the current resident set
            long before = dev.esactors.core.torch.DeviceMemory.residentBytes();
            generator.generate(prompts, 1, Set.of(), SamplingConfig.GREEDY);
            rise = Math.min(rise, dev.esactors.core.torch.DeviceMemory.peakResidentBytes() - before);
        }
        assertTrue(rise < headFloat32 / 4, "a prefill of 2 rows raised the peak by " + rise / 1_000_000
                + " MB; the head in float32 is " + headFloat32 / 1_000_000 + " MB");
    }
}
