package dev.esactors.cli;

import dev.esactors.actors.bench.CoordinationBench;
import dev.esactors.actors.bench.SimulatedEvaluator;
import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.RopeConfig;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Torch;
import dev.esactors.train.config.RunConfigLoader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code es-actors bench}: greedy decode throughput at several batch sizes for the embedded model and a random
 * ~20M-parameter Llama, set against this machine's measured fp32 matmul rate. A benchmark, not a test: it
 * prints figures and asserts nothing.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure decode throughput (tokens/s), the share of the machine's fp32 matmul rate it reaches, "
                + "and (--es) the cost of an ES iteration against plain decoding.")
final class BenchCommand implements Callable<Integer> {

    /** A Llama of about 20M parameters (dim 512, 6 layers, GQA 8/4, vocabulary 8192, tied embeddings). */
    static final ModelConfig LLAMA_20M = new ModelConfig(Architecture.LLAMA, 512, 1408, 6, 8, 4, 64, 8192, 2048,
            1e-5, RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);

    /** A Llama of about 100M parameters (dim 768, 12 layers, GQA 12/4, vocabulary 32000, tied embeddings). */
    static final ModelConfig LLAMA_100M = new ModelConfig(Architecture.LLAMA, 768, 2048, 12, 12, 4, 64, 32000, 2048,
            1e-5, RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8,64", description = "(default: ${DEFAULT-VALUE})")
    List<Integer> batchSizes;

    @Option(names = "--new-tokens", defaultValue = "64", description = "tokens generated per sequence (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--shared-prefix-tokens", defaultValue = "0", description = "K > 0: the prompts of each batch "
            + "also share their first K tokens, decoded with the shared prefix run once per batch and with every row "
            + "prefilling its whole prompt, interleaved (default: ${DEFAULT-VALUE})")
    int sharedPrefixTokens;

    @Option(names = "--compare-decode-attention", description = "also time each batch size with decode-step "
            + "attention as broadcast products (the CPU default for small steps) against batched matrix products "
            + "(the CPU form for larger ones), alternating the two")
    boolean compareDecodeAttention;

    @Option(names = "--repeats", defaultValue = "3", description = "timed runs per point; the best is kept (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--es", description = "also time one ES iteration per model against plain decoding of the same "
            + "rollouts (overhead ratio, perturb/restore and update shares, noise GB/s, peak memory)")
    boolean es;

    @Option(names = "--es-population", defaultValue = "8", description = "N for --es (default: ${DEFAULT-VALUE})")
    int esPopulation;

    @Option(names = "--es-batch", defaultValue = "32", description = "prompts per member for --es (default: ${DEFAULT-VALUE})")
    int esBatch;

    @Option(names = "--es-new-tokens", defaultValue = "64", description = "T for --es (default: ${DEFAULT-VALUE})")
    int esNewTokens;

    @Option(names = "--es-noise-cache", defaultValue = "auto", description = "memory the replica of --es may keep "
            + "its members' noise in for the update: a size (512MiB, 0 = none) or auto, as model.noise-cache "
            + "(default: ${DEFAULT-VALUE})")
    String esNoiseCache;

    @Option(names = "--low-rank", description = "only the low-rank bench: member evaluations per second of full-rank "
            + "ES (one member per decode) against low-rank ES (P members per batched decode), and each mode's update")
    boolean lowRank;

    @Option(names = "--low-rank-members-per-pass", split = ",", defaultValue = "8,32",
            description = "P values for --low-rank (default: ${DEFAULT-VALUE})")
    List<Integer> membersPerPass;

    @Option(names = "--low-rank-population", defaultValue = "32", description = "N for --low-rank (default: ${DEFAULT-VALUE})")
    int lowRankPopulation;

    @Option(names = "--low-rank-batch", defaultValue = "4", description = "prompts per member for --low-rank "
            + "(default: ${DEFAULT-VALUE})")
    int lowRankBatch;

    @Option(names = "--low-rank-new-tokens", defaultValue = "32", description = "T for --low-rank (default: ${DEFAULT-VALUE})")
    int lowRankNewTokens;

    @Option(names = "--rank", defaultValue = "1", description = "r for --low-rank (default: ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--host-overhead", description = "only the host cost of a decoder layer per decode step: us per "
            + "layer and JavaCPP objects per layer on a random model 32 wide and 48 layers deep, batch 1")
    boolean hostOverhead;

    @Option(names = "--products", description = "only the matrix products of a decode step at 1, 8 and 32 rows on the "
            + "21.9M model's weight shapes: mm(x, W^T), mv per row and mm(W, x^T), in us per product")
    boolean products;

    @Option(names = "--compare-reference", description = "only the comparison with the plain PyTorch eager loop "
            + "(bench/reference_decode.py, Debian's python3-torch) on the same models and prompts, alternating")
    boolean compareReference;

    @Option(names = "--shape", paramLabel = "NAME", description = "only the real-size run: a random model with the "
            + "exact config of NAME (qwen2.5-1.5b, qwen2.5-0.5b) in bf16 shards through load, decode, an ES "
            + "iteration, checkpoint, export, replay and reload, each phase its own process (needs ~15 GB of disk)")
    String shape;

    @Option(names = "--shape-dir", paramLabel = "DIR", description = "where --shape writes its model and run "
            + "(default: a new directory under the system's temporary directory)")
    Path shapeDir;

    @Option(names = "--write-shape", hidden = true, description = "(a phase of --shape) write the random model")
    String writeShape;

    @Option(names = "--large", description = "include a random ~100M-parameter Llama (slow on CPU)")
    boolean large;

    @Option(names = "--coordination", description = "only the coordination bench: a real Coordinator with simulated "
            + "evaluators (no model), N = evaluators members per iteration; coordinator time per member result and "
            + "bytes on the wire per member")
    boolean coordination;

    @Option(names = "--coordination-evaluators", split = ",", defaultValue = "16,256,1024",
            description = "(default: ${DEFAULT-VALUE})")
    List<Integer> simulatedEvaluators;

    @Option(names = "--coordination-members-per-pass", split = ",", defaultValue = "0,8",
            description = "0: full rank, one member per work item (N = evaluators); P > 0: low rank, groups of P "
                    + "members (N = evaluators x P) (default: ${DEFAULT-VALUE})")
    List<Integer> coordinationPerPass;

    @Option(names = "--coordination-per-node", split = ",", defaultValue = "1,8",
            description = "simulated evaluators per node, which share one catch-up (default: ${DEFAULT-VALUE})")
    List<Integer> coordinationPerNode;

    @Option(names = "--coordination-shaping", split = ",", defaultValue = "zscore",
            description = "zscore and/or per-prompt (results then carry each member's reward on each of its 16 "
                    + "simulated prompts) (default: ${DEFAULT-VALUE})")
    List<String> coordinationShaping;

    @Option(names = "--coordination-iterations", defaultValue = "3", description = "(default: ${DEFAULT-VALUE})")
    int coordinationIterations;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        runtime.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        long esNoiseCacheBytes = noiseCacheBytes(esNoiseCache); // a bad value is refused before minutes of decoding
        if (coordination) {
            out.printf("Coordination: a Coordinator over the embedded model's master and simulated evaluators "
                    + "(member time log-normal, median 50 ms; reward: share of right answers among %d prompts); "
                    + "P = 1: full rank, N = evaluators; P > 1: low rank, groups of P members, N = evaluators x P; "
                    + "%d iterations; bytes per member: serialized protocol messages (jackson-cbor), catch-ups once "
                    + "per node; messages per evaluator per iteration, either way; boundary: from the last result of "
                    + "an iteration to the first evaluator starting the next (all busy: to the last one)%n",
                    SimulatedEvaluator.batch(), coordinationIterations);
            CoordinationBench.header(out);
            for (String shaping : coordinationShaping) {
                if (!shaping.equals("zscore") && !shaping.equals("per-prompt")) {
                    throw new IllegalArgumentException("--coordination-shaping: zscore or per-prompt, got '"
                            + shaping + "'");
                }
            }
            for (String shaping : coordinationShaping) {
                for (int p : coordinationPerPass) {
                    for (int perNode : coordinationPerNode) {
                        for (int e : simulatedEvaluators) {
                            CoordinationBench.run(out, java.nio.file.Files.createTempDirectory("es-coordination"),
                                    e, perNode, p, coordinationIterations, java.time.Duration.ofMillis(50),
                                    shaping.equals("per-prompt"));
                        }
                    }
                }
            }
            return 0;
        }
        List<String> names = new ArrayList<>(List.of(runtime.model == null ? "stories260K (embedded)"
                : runtime.model.toString(), "random Llama 20M"));
        if (large) {
            names.add("random Llama 100M");
        }
        if (writeShape != null) {
            RealSizeBench.writeModel(writeShape, shapeDir);
            return 0;
        }
        if (shape != null) {
            Path dir = shapeDir != null ? shapeDir : java.nio.file.Files.createTempDirectory("es-real-size");
            try {
                new RealSizeBench(shape, dir).run(out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }
        if (products) {
            out.printf("Matrix products of a decode step, one thread, weights streamed (24 of each shape); %s%n",
                    blas());
            new ProductBench().run(out);
            return 0;
        }
        if (hostOverhead) {
            new HostOverheadBench().run(out, runtime.deviceSpec());
            return 0;
        }
        if (compareReference) {
            out.printf("Greedy decode against the PyTorch eager loop: %d new tokens after a %d-token prompt, best of "
                    + "%d alternating rounds, %d LibTorch threads (OMP_NUM_THREADS=%s); %s%n", newTokens,
                    promptTokens, repeats, torch.get_num_threads(), System.getenv("OMP_NUM_THREADS"), blas());
            ReferenceComparison comparison = new ReferenceComparison(Path.of(System.getProperty("es.home", "."),
                    "bench", "reference_decode.py"), promptTokens, newTokens, repeats);
            for (String name : names) {
                Decoder decoder = load(name, DType.F32);
                out.printf("%n%s: %,d parameters%n", name, decoder.config().parameterCount());
                ReferenceComparison.header(out);
                comparison.run(out, decoder, modelDirectory(name, decoder), batchSizes);
            }
            return 0;
        }
        if (lowRank) {
            out.printf("Low-rank ES: N=%d members x B=%d prompts x T=%d new tokens (prompt %d), rank %d, %d LibTorch "
                            + "threads; full rank decodes one member at a time, low rank P members per pass; %s%n",
                    lowRankPopulation, lowRankBatch, lowRankNewTokens, promptTokens, rank, torch.get_num_threads(),
                    blas());
            LowRankBench.header(out);
            LowRankBench bench = new LowRankBench(lowRankPopulation, lowRankBatch, promptTokens, lowRankNewTokens, rank);
            for (String name : names) {
                for (int p : membersPerPass) {
                    bench.run(out, name, load(name, DType.F32), load(name, DType.F32), runtime.workingDType(), p);
                }
            }
            return 0;
        }
        DeviceSpec device = runtime.deviceSpec();
        out.printf("device %s, dtype %s, %d LibTorch threads (OMP_NUM_THREADS=%s, OPENBLAS_NUM_THREADS=%s), "
                        + "%d new tokens after a %d-token prompt, best of %d%n",
                device, runtime.workingDType(), torch.get_num_threads(), System.getenv("OMP_NUM_THREADS"),
                System.getenv("OPENBLAS_NUM_THREADS"), newTokens, promptTokens, repeats);
        double matmulFlops = matmulRate(device);
        out.printf("fp32 matmul 1024x1024: %.1f GFLOP/s; %s%n", matmulFlops / 1e9, blas());
        out.flush();

        for (String name : names) {
            Decoder decoder = load(name, runtime.workingDType());
            ModelConfig c = decoder.config();
            out.printf("%n%s: %,d parameters%n", name, c.parameterCount());
            out.printf("%6s %14s %12s %14s%n", "batch", "tokens/s", "ms/step", "matmul share");
            for (int batch : batchSizes) {
                double seconds = timeDecode(decoder, batch);
                double tokensPerSecond = (double) batch * newTokens / seconds;
                double flops = tokensPerSecond * flopsPerToken(c, promptTokens + newTokens / 2.0);
                out.printf("%6d %14.0f %12.2f %13.1f%%%n", batch, tokensPerSecond, 1000 * seconds / newTokens,
                        100 * flops / matmulFlops);
                out.flush();
            }
            if (sharedPrefixTokens > 0) {
                out.printf("prompts sharing their first %d of %d tokens: ms per batch (prefill and %d new tokens)%n",
                        sharedPrefixTokens, promptTokens, newTokens);
                out.printf("%6s %14s %14s %10s %16s%n", "batch", "whole prompts", "shared prefix", "speed-up",
                        "rows differing");
                for (int batch : batchSizes) {
                    double[] seconds = timeSharedPrefix(decoder, batch);
                    out.printf("%6d %14.1f %14.1f %9.2fx %16.0f%n", batch, 1000 * seconds[0], 1000 * seconds[1],
                            seconds[0] / seconds[1], seconds[2]);
                    out.flush();
                }
            }
            if (compareDecodeAttention) {
                out.printf("decode-step attention: ms per batch (prefill and %d new tokens; shared prefix %d)%n",
                        newTokens, sharedPrefixTokens);
                out.printf("%6s %14s %14s %10s %16s%n", "batch", "batched", "broadcast", "speed-up", "rows differing");
                for (int batch : batchSizes) {
                    List<int[]> prompts = sharingPrompts(c.vocabSize(), batch);
                    BatchGenerator generator = new BatchGenerator(decoder);
                    double[] seconds = alternate(batch, flag -> {
                        decoder.setBroadcastDecodeAttention(flag == 1);
                        return generator.generate(prompts, newTokens, Set.of(), SamplingConfig.GREEDY);
                    });
                    decoder.setBroadcastDecodeAttention(true);
                    out.printf("%6d %14.1f %14.1f %9.2fx %16.0f%n", batch, 1000 * seconds[0], 1000 * seconds[1],
                            seconds[0] / seconds[1], seconds[2]);
                    out.flush();
                }
            }
        }
        if (es) {
            out.printf("%nES iterations: N=%d members x B=%d prompts x T=%d new tokens (prompt %d), one replica, two "
                    + "iterations; overhead = ES iteration / N plain decodes at batch B; kept: members whose noise the "
                    + "update reads (--es-noise-cache); draws: noise drawn, in members%n", esPopulation, esBatch,
                    esNewTokens, promptTokens);
            EsIterationBench.header(out);
            EsIterationBench bench = new EsIterationBench(esPopulation, esBatch, promptTokens, esNewTokens,
                    esNoiseCacheBytes);
            for (String name : names) {
                bench.run(out, name, load(name, DType.F32), runtime.workingDType());
            }
        }
        return 0;
    }

    /** --es-noise-cache as the run file's model.noise-cache reads it. */
    private long noiseCacheBytes(String text) {
        try {
            return RunConfigLoader.noiseCache(text);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--es-noise-cache " + e.getMessage());
        }
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
        return Torch.blas() + " on " + cpu() + warning + "; " + Torch.nativeHeap();
    }

    private static String cpu() {
        try (var lines = java.nio.file.Files.lines(Path.of("/proc/cpuinfo"))) {
            List<String> info = lines.filter(l -> l.startsWith("model name") || l.startsWith("flags")).limit(2)
                    .toList();
            String model = info.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
            String flags = info.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
            return model + (flags.contains("avx512f") ? ", AVX-512" : flags.contains("avx2") ? ", AVX2" : "");
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return "unknown CPU";
        }
    }

    /** A directory holding {@code name}'s weights as a Hugging Face model, for the reference loop to read. */
    private Path modelDirectory(String name, Decoder decoder) throws java.io.IOException {
        if (!name.startsWith("random ")) {
            return runtime.modelDir();
        }
        Path dir = java.nio.file.Files.createTempDirectory("es-bench-model");
        dev.esactors.core.model.ConfigJson.write(decoder.config(), dir, "float32");
        ModelLoader.saveWeights(decoder, dir.resolve("model.safetensors"));
        dir.toFile().deleteOnExit();
        dir.resolve("config.json").toFile().deleteOnExit();
        dir.resolve("model.safetensors").toFile().deleteOnExit();
        return dir;
    }

    private Decoder load(String name, DType dtype) {
        DeviceSpec device = runtime.deviceSpec();
        return switch (name) {
            case "random Llama 20M" -> ModelLoader.random(LLAMA_20M, 42, device, dtype);
            case "random Llama 100M" -> ModelLoader.random(LLAMA_100M, 42, device, dtype);
            default -> ModelLoader.load(runtime.modelDir(), device, dtype);
        };
    }

    /** Best wall time of {@code repeats} greedy generations of exactly {@code newTokens} tokens per sequence. */
    private double timeDecode(Decoder decoder, int batch) {
        List<int[]> prompts = randomPrompts(decoder.config().vocabSize(), batch, promptTokens);
        BatchGenerator generator = new BatchGenerator(decoder);
        generator.generate(prompts, Math.min(newTokens, 4), Set.of(), SamplingConfig.GREEDY); // warm-up
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            List<Completion> done = generator.generate(prompts, newTokens, Set.of(), SamplingConfig.GREEDY);
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
            if (done.get(0).tokens().length != newTokens) {
                throw new IllegalStateException("expected " + newTokens + " tokens, got " + done.get(0).tokens().length);
            }
        }
        return best;
    }

    /**
     * Best wall times of generating {@code newTokens} after {@code batch} prompts whose first
     * {@code sharedPrefixTokens} tokens are the same: {every row prefills its whole prompt, the prefix runs once},
     * alternating the two so that the machine's drift hits both alike; and how many rows decode differently (the
     * two agree to rounding, so only a near-tie between two tokens can tell them apart).
     */
    private double[] timeSharedPrefix(Decoder decoder, int batch) {
        List<int[]> prompts = sharingPrompts(decoder.config().vocabSize(), batch);
        BatchGenerator[] generators = {new BatchGenerator(decoder, false), new BatchGenerator(decoder, true)};
        return alternate(batch, g -> generators[g].generate(prompts, newTokens, Set.of(), SamplingConfig.GREEDY));
    }

    /**
     * Best wall times of the generations {@code run(0)} and {@code run(1)} over {@code repeats} rounds after a
     * warm-up round, alternating them so that the machine's drift hits both alike, and how many of the {@code batch}
     * rows they decode differently.
     */
    private double[] alternate(int batch, java.util.function.IntFunction<List<Completion>> run) {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        List<List<Completion>> outputs = new ArrayList<>(List.of(List.of(), List.of()));
        for (int r = 0; r <= repeats; r++) { // the first round warms up
            for (int g = 0; g < 2; g++) {
                long start = System.nanoTime();
                outputs.set(g, run.apply(g));
                if (r > 0) {
                    best[g] = Math.min(best[g], (System.nanoTime() - start) / 1e9);
                }
            }
        }
        int differing = 0;
        for (int b = 0; b < batch; b++) {
            differing += Arrays.equals(outputs.get(0).get(b).tokens(), outputs.get(1).get(b).tokens()) ? 0 : 1;
        }
        return new double[] {best[0], best[1], differing};
    }

    /** {@link #randomPrompts} of {@code promptTokens} whose first {@code sharedPrefixTokens} are the same. */
    private List<int[]> sharingPrompts(int vocabulary, int batch) {
        if (sharedPrefixTokens > 0 && sharedPrefixTokens >= promptTokens) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--shared-prefix-tokens ("
                    + sharedPrefixTokens + ") must be below --prompt-tokens (" + promptTokens + ")");
        }
        List<int[]> prompts = randomPrompts(vocabulary, batch, promptTokens);
        for (int[] p : prompts) {
            System.arraycopy(prompts.get(0), 0, p, 0, sharedPrefixTokens);
        }
        return prompts;
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
     * Multiply-add FLOPs of one decoded token: 2 per weight of every projection and of the output head, plus
     * attention scores and the weighted sum over {@code context} positions.
     */
    static double flopsPerToken(ModelConfig c, double context) {
        double d = c.hiddenSize();
        double q = (double) c.numHeads() * c.headDim();
        double kv = (double) c.numKvHeads() * c.headDim();
        double perLayer = 2 * (d * q + 2 * d * kv + q * d + 3 * d * c.intermediateSize()) + 4 * q * context;
        return c.numLayers() * perLayer + 2 * d * c.vocabSize();
    }

    /** fp32 FLOP/s of repeated 1024x1024 matrix products on {@code device}. */
    private static double matmulRate(DeviceSpec device) {
        int n = 1024;
        int reps = 20;
        try (PointerScope scope = new PointerScope()) {
            TensorOptions options = new TensorOptions(ScalarType.Float).device(
                    new org.bytedeco.pytorch.DeviceOptional(device.toTorch()));
            Tensor a = torch.randn(new long[] {n, n}, options);
            Tensor b = torch.randn(new long[] {n, n}, options);
            Tensor c = torch.empty(new long[] {n, n}, options, null);
            torch.matmul_out(c, a, b);
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long start = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    torch.matmul_out(c, a, b);
                }
                c.sum().item_float(); // waits for the device
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            return 2.0 * n * n * n * reps / best;
        }
    }
}
