package dev.esactors.cli.bench;

import dev.esactors.cli.options.RuntimeOptions;
import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.RopeConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.Torch;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The models a benchmark runs on (the embedded model or --model, a random Llama of about 20M parameters and, with
 * --large, one of about 100M), with the runtime options, and what every benchmark prints about the machine.
 */
final class BenchModels {

    /** A Llama of about 20M parameters (dim 512, 6 layers, GQA 8/4, vocabulary 8192, tied embeddings). */
    static final ModelConfig LLAMA_20M = new ModelConfig(Architecture.LLAMA, 512, 1408, 6, 8, 4, 64, 8192, 2048,
            1e-5, RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);

    /** A Llama of about 100M parameters (dim 768, 12 layers, GQA 12/4, vocabulary 32000, tied embeddings). */
    static final ModelConfig LLAMA_100M = new ModelConfig(Architecture.LLAMA, 768, 2048, 12, 12, 4, 64, 32000, 2048,
            1e-5, RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--large", description = "include a random ~100M-parameter Llama (slow on CPU)")
    boolean large;

    /** The models' names, in the order they are measured. */
    List<String> names() {
        List<String> names = new ArrayList<>(List.of(runtime.model == null ? "stories260K (embedded)"
                : runtime.model.toString(), "random Llama 20M"));
        if (large) {
            names.add("random Llama 100M");
        }
        return names;
    }

    /** The model called {@code name}, on the chosen device, in {@code dtype}. */
    Decoder load(String name, DType dtype) {
        return switch (name) {
            case "random Llama 20M" -> ModelLoader.random(LLAMA_20M, 42, runtime.deviceSpec(), dtype);
            case "random Llama 100M" -> ModelLoader.random(LLAMA_100M, 42, runtime.deviceSpec(), dtype);
            default -> ModelLoader.load(runtime.modelDir(), runtime.deviceSpec(), dtype);
        };
    }

    /** A directory holding {@code name}'s weights as a Hugging Face model, for another program to read. */
    Path directory(String name, Decoder decoder) {
        if (!name.startsWith("random ")) {
            return runtime.modelDir();
        }
        try {
            Path dir = Files.createTempDirectory("es-bench-model");
            ConfigJson.write(decoder.config(), dir, "float32");
            ModelLoader.saveWeights(decoder, dir.resolve("model.safetensors"));
            dir.toFile().deleteOnExit();
            dir.resolve("config.json").toFile().deleteOnExit();
            dir.resolve("model.safetensors").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " for the reference loop", e);
        }
    }

    /** {@code batch} seeded random prompts of {@code length} ordinary token ids (not 0-2: pad, BOS, EOS). */
    static List<int[]> randomPrompts(int vocabulary, int batch, int length) {
        SplittableRandom random = new SplittableRandom(7);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] p = new int[length];
            for (int i = 0; i < p.length; i++) {
                p[i] = 3 + random.nextInt(vocabulary - 3);
            }
            prompts.add(p);
        }
        return prompts;
    }

    /**
     * Which OpenBLAS LibTorch runs (library, build, core type, file: {@link Torch#blas}), and a warning when the
     * environment forces a core type: OPENBLAS_CORETYPE picks one by name (these build machines set an older one
     * than their CPU's, which is slower).
     */
    static String blas() {
        String forced = System.getenv("OPENBLAS_CORETYPE");
        String warning = "";
        if (forced != null) {
            String l2 = System.getenv("OPENBLAS_L2_SIZE");
            warning = "; core forced by OPENBLAS_CORETYPE=" + forced + (l2 == null ? "" : " (and OPENBLAS_L2_SIZE="
                    + l2 + ")") + ": unset it to let OpenBLAS pick this CPU's own kernels, often faster";
        }
        return Torch.blas() + " on " + cpu() + warning + "; " + Torch.cpuKernels() + "; " + Torch.nativeHeap();
    }

    private static String cpu() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            List<String> info = lines.filter(l -> l.startsWith("model name") || l.startsWith("flags")).limit(2)
                    .toList();
            String model = info.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
            String flags = info.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
            return model + (flags.contains("avx512f") ? ", AVX-512" : flags.contains("avx2") ? ", AVX2" : "");
        } catch (IOException | UncheckedIOException e) {
            return "unknown CPU";
        }
    }
}
