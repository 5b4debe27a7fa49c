package dev.esactors.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DType;

import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code bench compare-reference}: the project's batched greedy decode against the plain PyTorch eager loop of the
 * same algorithm (bench/reference_decode.py) on the same model directory and the same prompts, in rounds that
 * alternate the two so that the machine's drift hits both alike. Prints tokens per second of each, their ratio,
 * and how many rows decode to different tokens (both are greedy in float32, so only a near-tie can differ).
 */
@Command(name = "compare-reference", mixinStandardHelpOptions = true,
        description = "Greedy decode against the plain PyTorch eager loop (bench/reference_decode.py; Debian's "
                + "python3-torch) on the same models and prompts, alternated.")
final class ReferenceComparison implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    BenchModels models;

    @Mixin
    DecodeShape decode;

    @Spec
    CommandSpec spec;

    private ReferenceScript script;

    @Override
    public Integer call() throws IOException {
        decode.check(spec.commandLine());
        script = ReferenceScript.locate("reference_decode.py", "the reference loop");
        models.runtime.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Greedy decode against the PyTorch eager loop: %d new tokens after a %d-token prompt, best of "
                + "%d alternating rounds, %d LibTorch threads (OMP_NUM_THREADS=%s); %s%n", decode.newTokens,
                decode.promptTokens, decode.repeats, torch.get_num_threads(), System.getenv("OMP_NUM_THREADS"),
                BenchModels.blas());
        for (String name : models.names()) {
            Decoder decoder = models.load(name, DType.F32);
            out.printf("%n%s: %,d parameters%n", name, decoder.config().parameterCount());
            header(out);
            run(out, decoder, models.directory(name, decoder), decode.batchSizes);
        }
        return 0;
    }

    private static void header(PrintWriter out) {
        out.printf("%6s %16s %16s %8s %10s%n", "batch", "es-actors tok/s", "PyTorch tok/s", "ratio", "rows diff");
    }

    /** One line per batch size for {@code decoder}, whose weights are also in {@code modelDir}. */
    private void run(PrintWriter out, Decoder decoder, Path modelDir, List<Integer> batches) throws IOException {
        for (int batch : batches) {
            List<int[]> prompts = BenchModels.randomPrompts(decoder.config().vocabSize(), batch, decode.promptTokens);
            Path promptFile = Files.createTempFile("es-reference-prompts", ".json");
            try {
                Files.writeString(promptFile, JSON.writeValueAsString(prompts));
                BatchGenerator generator = new BatchGenerator(decoder);
                generator.generate(prompts, Math.min(decode.newTokens, 4), Set.of(), SamplingConfig.GREEDY); // warm-up
                double ours = Double.MAX_VALUE;
                double theirs = Double.MAX_VALUE;
                List<Completion> done = List.of();
                JsonNode reference = null;
                for (int r = 0; r < decode.repeats; r++) {
                    long start = System.nanoTime();
                    done = generator.generate(prompts, decode.newTokens, Set.of(), SamplingConfig.GREEDY);
                    ours = Math.min(ours, (System.nanoTime() - start) / 1e9);
                    reference = reference(modelDir, promptFile);
                    theirs = Math.min(theirs, reference.get("seconds").asDouble());
                }
                int differing = 0;
                for (int b = 0; b < batch; b++) {
                    int[] mine = done.get(b).tokens();
                    JsonNode row = reference.get("tokens").get(b);
                    boolean same = row.size() == mine.length;
                    for (int i = 0; same && i < mine.length; i++) {
                        same = row.get(i).asInt() == mine[i];
                    }
                    differing += same ? 0 : 1;
                }
                double oursRate = batch * (double) decode.newTokens / ours;
                double theirsRate = batch * (double) decode.newTokens / theirs;
                out.printf("%6d %16.0f %16.0f %7.2fx %10d%n", batch, oursRate, theirsRate, oursRate / theirsRate,
                        differing);
                out.flush();
            } finally {
                Files.deleteIfExists(promptFile);
            }
        }
    }

    /** One run of the reference loop (best of 2 inside, after its own warm-up): {"seconds", "tokens"}. */
    private JsonNode reference(Path modelDir, Path promptFile) throws IOException {
        return script.run(modelDir.toString(), promptFile.toString(), Integer.toString(decode.newTokens), "2");
    }
}
