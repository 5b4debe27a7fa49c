package dev.esactors.cli.bench;

import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.DecodePaths;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DeviceSpec;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * {@code bench decode}: greedy decode throughput at several batch sizes, set against this machine's measured fp32
 * matmul rate; optionally prompts that share a prefix (prefilled once) and the decode step's two attention forms.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Greedy decode throughput (tokens/s) per batch size, and the share of the machine's fp32 "
                + "matmul rate it reaches.")
final class DecodeBench implements Callable<Integer> {

    @Mixin
    BenchModels models;

    @Mixin
    DecodeShape decode;

    @Option(names = "--shared-prefix-tokens", defaultValue = "0", description = "K > 0: the prompts of each batch "
            + "also share their first K tokens, decoded with the shared prefix run once per batch and with every row "
            + "prefilling its whole prompt, interleaved (default: ${DEFAULT-VALUE})")
    int sharedPrefixTokens;

    @Option(names = "--compare-decode-attention", description = "also time each batch size with decode-step "
            + "attention as broadcast products (the CPU default for small steps) against batched matrix products "
            + "(the CPU form for larger ones), alternating the two")
    boolean compareDecodeAttention;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        decode.check(spec.commandLine());
        models.runtime.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        if (sharedPrefixTokens > 0 && sharedPrefixTokens >= decode.promptTokens) {
            throw new ParameterException(spec.commandLine(), "--shared-prefix-tokens (" + sharedPrefixTokens
                    + ") must be below --prompt-tokens (" + decode.promptTokens + ")");
        }
        DeviceSpec device = models.runtime.deviceSpec();
        out.printf("device %s, dtype %s, %d LibTorch threads (OMP_NUM_THREADS=%s, OPENBLAS_NUM_THREADS=%s), "
                        + "%d new tokens after a %d-token prompt, best of %d%n",
                device, models.runtime.workingDType(), torch.get_num_threads(), System.getenv("OMP_NUM_THREADS"),
                System.getenv("OPENBLAS_NUM_THREADS"), decode.newTokens, decode.promptTokens, decode.repeats);
        double matmulFlops = matmulRate(device);
        out.printf("fp32 matmul 1024x1024: %.1f GFLOP/s; %s%n", matmulFlops / 1e9, BenchModels.blas());
        out.flush();
        for (String name : models.names()) {
            Decoder decoder = models.load(name, models.runtime.workingDType());
            ModelConfig c = decoder.config();
            out.printf("%n%s: %,d parameters%n", name, c.parameterCount());
            out.printf("%6s %14s %12s %14s%n", "batch", "tokens/s", "ms/step", "matmul share");
            for (int batch : decode.batchSizes) {
                double seconds = timeDecode(decoder, batch);
                double tokensPerSecond = (double) batch * decode.newTokens / seconds;
                double flops = tokensPerSecond * flopsPerToken(c, decode.promptTokens + decode.newTokens / 2.0);
                out.printf("%6d %14.0f %12.2f %13.1f%%%n", batch, tokensPerSecond, 1000 * seconds / decode.newTokens,
                        100 * flops / matmulFlops);
                out.flush();
            }
            if (sharedPrefixTokens > 0) {
                sharedPrefix(out, decoder);
            }
            if (compareDecodeAttention) {
                decodeAttention(out, decoder);
            }
        }
        return 0;
    }

    private void sharedPrefix(PrintWriter out, Decoder decoder) {
        out.printf("prompts sharing their first %d of %d tokens: ms per batch (prefill and %d new tokens)%n",
                sharedPrefixTokens, decode.promptTokens, decode.newTokens);
        out.printf("%6s %14s %14s %10s %16s%n", "batch", "whole prompts", "shared prefix", "speed-up",
                "rows differing");
        for (int batch : decode.batchSizes) {
            // every row prefills its whole prompt, or the prefix runs once
            List<int[]> prompts = sharingPrompts(decoder.config().vocabSize(), batch);
            BatchGenerator[] generators = {new BatchGenerator(decoder, false), new BatchGenerator(decoder, true)};
            double[] seconds = alternate(batch, g -> generators[g].generate(prompts, decode.newTokens, Set.of(),
                    SamplingConfig.GREEDY));
            out.printf("%6d %14.1f %14.1f %9.2fx %16.0f%n", batch, 1000 * seconds[0], 1000 * seconds[1],
                    seconds[0] / seconds[1], seconds[2]);
            out.flush();
        }
    }

    private void decodeAttention(PrintWriter out, Decoder decoder) {
        out.printf("decode-step attention: ms per batch (prefill and %d new tokens; shared prefix %d)%n",
                decode.newTokens,
                sharedPrefixTokens);
        out.printf("%6s %14s %14s %10s %16s%n", "batch", "batched", "broadcast", "speed-up", "rows differing");
        for (int batch : decode.batchSizes) {
            List<int[]> prompts = sharingPrompts(decoder.config().vocabSize(), batch);
            BatchGenerator[] generators = {new BatchGenerator(decoder.withPaths(new DecodePaths(true, false))),
                    new BatchGenerator(decoder)}; // batched, broadcast: the same weights
            double[] seconds = alternate(batch, g -> generators[g].generate(prompts, decode.newTokens, Set.of(),
                    SamplingConfig.GREEDY));
            out.printf("%6d %14.1f %14.1f %9.2fx %16.0f%n", batch, 1000 * seconds[0], 1000 * seconds[1],
                    seconds[0] / seconds[1], seconds[2]);
            out.flush();
        }
    }

    /** Best wall time of --repeats greedy generations of exactly --new-tokens tokens per sequence. */
    private double timeDecode(Decoder decoder, int batch) {
        List<int[]> prompts = BenchModels.randomPrompts(decoder.config().vocabSize(), batch, decode.promptTokens);
        BatchGenerator generator = new BatchGenerator(decoder);
        generator.generate(prompts, Math.min(decode.newTokens, 4), Set.of(), SamplingConfig.GREEDY); // warm-up
        double best = Double.MAX_VALUE;
        for (int r = 0; r < decode.repeats; r++) {
            long start = System.nanoTime();
            List<Completion> done = generator.generate(prompts, decode.newTokens, Set.of(), SamplingConfig.GREEDY);
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
            if (done.get(0).tokens().length != decode.newTokens) {
                throw new IllegalStateException("expected " + decode.newTokens + " tokens, got "
                        + done.get(0).tokens().length);
            }
        }
        return best;
    }

    /**
     * Best wall times of the generations {@code run(0)} and {@code run(1)} over --repeats rounds after a
     * warm-up round, alternating them so that the machine's drift hits both alike, and how many of the {@code batch}
     * rows they decode differently (the two agree to rounding, so only a near-tie between two tokens tells them
     * apart).
     */
    private double[] alternate(int batch, IntFunction<List<Completion>> run) {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        List<List<Completion>> outputs = new ArrayList<>(List.of(List.of(), List.of()));
        for (int r = 0; r <= decode.repeats; r++) { // the first round warms up
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

    /** Random prompts of --prompt-tokens whose first --shared-prefix-tokens are the same. */
    private List<int[]> sharingPrompts(int vocabulary, int batch) {
        List<int[]> prompts = BenchModels.randomPrompts(vocabulary, batch, decode.promptTokens);
        for (int[] p : prompts) {
            System.arraycopy(prompts.get(0), 0, p, 0, sharedPrefixTokens);
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
