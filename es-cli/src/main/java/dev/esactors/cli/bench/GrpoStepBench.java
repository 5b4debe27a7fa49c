package dev.esactors.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.rl.GroupAdvantages;
import dev.esactors.core.rl.GrpoLearner;
import dev.esactors.core.rl.GrpoLoss;
import dev.esactors.core.rl.GrpoSettings;
import dev.esactors.core.torch.DType;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bench grpo-step}: one GRPO step of the project (GrpoLearner: G sampled completions per prompt with the KV
 * cache, the training forward and backward over prompt and completion, gradient clipping, AdamW) against the same
 * step in plain eager PyTorch (bench/reference_grpo_step.py) on the same model, prompts and settings, in rounds that
 * alternate the two. Both sample (so their completions, and when a row stops at the end-of-sequence token, differ):
 * the figure to compare is completion tokens trained per second; seconds per step are printed beside it. The reward
 * is the share of a completion's tokens that are even, on both sides.
 */
@Command(name = "grpo-step", mixinStandardHelpOptions = true,
        description = "A GRPO step (sampling, training forward and backward, clipping, AdamW) against the same step "
                + "in plain PyTorch (bench/reference_grpo_step.py; Debian's python3-torch), alternated.")
final class GrpoStepBench implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    BenchModels models;

    @Option(names = "--prompts", defaultValue = "8", description = "prompts per step (default: ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--group-size", defaultValue = "8", description = "completions per prompt (default: "
            + "${DEFAULT-VALUE})")
    int groupSize;

    @Option(names = "--prompt-tokens", defaultValue = "24", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "20", description = "tokens sampled per completion at most "
            + "(default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--steps", defaultValue = "3", description = "timed steps per round (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--rounds", defaultValue = "3", description = "alternating rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--no-reference", description = "measure es-actors only (no python3-torch needed)")
    boolean noReference;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (prompts < 1 || groupSize < 2 || promptTokens < 1 || newTokens < 1 || steps < 1 || rounds < 1) {
            throw new ParameterException(spec.commandLine(), "--prompts, --prompt-tokens, --new-tokens, --steps "
                    + "and --rounds must be >= 1 and --group-size >= 2");
        }
        ReferenceScript script = noReference ? null
                : ReferenceScript.locate("reference_grpo_step.py", "the reference step");
        models.runtime.applyThreads();
        GrpoSettings settings = new GrpoSettings(prompts, groupSize, 1.0, 1.0, 1e-4, 0.9, 0.99, 1e-8, 0, 1, 0.2, 1,
                0, GroupAdvantages.Scaling.STD, GrpoLoss.Aggregation.TOKEN_MEAN);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("A GRPO step against plain PyTorch: %d prompts x %d completions, %d-token prompts, up to %d new "
                        + "tokens at temperature %s, AdamW lr %s, clip %s; %d steps per round, %d alternating rounds, "
                        + "%d LibTorch threads (OMP_NUM_THREADS=%s); %s%n", prompts, groupSize, promptTokens,
                newTokens, settings.temperature(), settings.learningRate(), settings.gradClip(), steps, rounds,
                torch.get_num_threads(), System.getenv("OMP_NUM_THREADS"), BenchModels.blas());
        for (String name : models.names()) {
            Decoder loaded = models.load(name, DType.F32);
            Path dir = models.directory(name, loaded);
            out.printf("%n%s: %,d parameters%n%6s %22s %22s %8s%n", name, loaded.config().parameterCount(), "round",
                    "es-actors tok/s (s/step)", "PyTorch tok/s (s/step)", "ratio");
            List<int[]> batch = BenchModels.randomPrompts(loaded.config().vocabSize(), prompts, promptTokens);
            // The learner trains its policy in place: each round starts from the same weights on both sides.
            for (int r = 0; r < rounds; r++) {
                double[] ours = ours(models.load(name, DType.F32), settings, batch);
                double[] theirs = noReference ? new double[] {Double.NaN, Double.NaN}
                        : reference(script, dir, batch, settings, loaded.config().eosTokenIds());
                out.printf("%6d %13.0f (%6.3f) %13.0f (%6.3f) %7.2fx%n", r + 1, ours[0], ours[1], theirs[0],
                        theirs[1], ours[0] / theirs[0]);
                out.flush();
            }
        }
        return 0;
    }

    /** Trained tokens per second and mean seconds per step of the project's learner, after a warm-up step. */
    private double[] ours(Decoder policy, GrpoSettings settings, List<int[]> batch) {
        GrpoLearner learner = new GrpoLearner(policy, null, settings);
        GrpoLearner.Reward reward = (prompt, completion) -> evenShare(completion);
        learner.step(batch, Math.min(4, newTokens), 0, reward, false); // warm-up
        double seconds = 0;
        long trained = 0;
        for (int s = 0; s < steps; s++) {
            GrpoLearner.Step step = learner.step(batch, newTokens, s + 1, reward, false);
            seconds += step.seconds();
            trained += step.trainedTokens();
        }
        return new double[] {trained / seconds, seconds / steps};
    }

    private static double evenShare(int[] completion) {
        int even = 0;
        for (int t : completion) {
            even += t % 2 == 0 ? 1 : 0;
        }
        return completion.length == 0 ? 0 : (double) even / completion.length;
    }

    /** The reference step's trained tokens per second and mean seconds per step, with the same settings. */
    private double[] reference(ReferenceScript script, Path modelDir, List<int[]> batch, GrpoSettings settings,
                               List<Integer> eos) throws IOException {
        Path promptFile = Files.createTempFile("es-grpo-prompts", ".json");
        Path settingsFile = Files.createTempFile("es-grpo-settings", ".json");
        try {
            Files.writeString(promptFile, JSON.writeValueAsString(batch));
            ObjectNode s = JSON.createObjectNode().put("temperature", settings.temperature())
                    .put("lr", settings.learningRate()).put("beta1", settings.beta1()).put("beta2", settings.beta2())
                    .put("eps", settings.adamEpsilon()).put("weight_decay", settings.weightDecay())
                    .put("grad_clip", settings.gradClip()).put("clip_epsilon", settings.clipEpsilon());
            eos.forEach(s.putArray("eos")::add);
            Files.writeString(settingsFile, JSON.writeValueAsString(s));
            JsonNode result = script.run(modelDir.toString(), promptFile.toString(), Integer.toString(groupSize),
                    Integer.toString(newTokens), Integer.toString(steps), settingsFile.toString());
            double seconds = 0;
            long trained = 0;
            for (int i = 0; i < result.get("seconds").size(); i++) {
                seconds += result.get("seconds").get(i).asDouble();
                trained += result.get("trained").get(i).asLong();
            }
            return new double[] {trained / seconds, seconds / steps};
        } finally {
            Files.deleteIfExists(promptFile);
            Files.deleteIfExists(settingsFile);
        }
    }
}
