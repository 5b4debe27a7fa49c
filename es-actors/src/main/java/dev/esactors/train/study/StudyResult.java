package dev.esactors.train.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.eval.FinalEvaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one run of a study measured, kept as {@code result.json} in its directory (its presence marks the run done).
 *
 * @param name                 the run's name
 * @param arm                  its arm
 * @param method               es or grpo
 * @param value                its setting (its axes' values, joined by " x ")
 * @param seed                 its seed
 * @param iterations           iterations (steps) run
 * @param cost                 what it sampled, trained on and used
 * @param validationAccuracy   the final weights' accuracy on the validation dataset (chooses settings)
 * @param validationReward     and mean reward
 * @param testAccuracy         the final weights' accuracy on the test dataset (only reported)
 * @param testReward           and mean reward
 * @param baseTestAccuracy     the base model's test accuracy
 * @param baseTestReward       and mean reward
 * @param hash                 SHA-256 of the final weights
 * @param curves               its training reward and held-out accuracy as it went
 * @param runFile              SHA-256 of the run file the study made for it ({@link #runFile(StudyPlan.PlannedRun)}),
 *                             so that a study whose keys changed does not take it for its own ("" before it was kept)
 */
public record StudyResult(String name, String arm, String method, String value, long seed, long iterations, Cost cost,
                          double validationAccuracy, double validationReward, double testAccuracy, double testReward,
                          double baseTestAccuracy, double baseTestReward, String hash, Curves curves,
                          String runFile) {

    /**
     * What a run cost.
     *
     * @param completions     completions sampled for training
     * @param generatedTokens tokens those completions hold (NaN when the run kept no counts)
     * @param trainedTokens   completion tokens backpropagated through, once per pass (ES: 0)
     * @param seconds         wall time of the run (a run resumed after its process died: its last process's, and
     *                        what the earlier ones spent on the steps it kept, as its step log knows it; their
     *                        loading and base evaluation are not known)
     * @param cpuSeconds      CPU time the run's processes used, all threads (core-seconds), counted the same way
     * @param peakRssBytes    the process's peak resident memory (JVM and LibTorch included); -1 when unknown
     * @param flops           an estimate of the floating-point operations spent on the model
     *                        ({@link RunCosts#flops}); NaN when unknown
     */
    public record Cost(long completions, double generatedTokens, double trainedTokens, double seconds,
                       double cpuSeconds, long peakRssBytes, double flops) {
    }

    /**
     * A run's curves.
     *
     * @param meanReward       mean training reward per iteration (the rewards of the completions it sampled)
     * @param heldOutIteration iterations after which the validation dataset was scored
     * @param heldOutAccuracy  the accuracy there
     */
    public record Curves(double[] meanReward, long[] heldOutIteration, double[] heldOutAccuracy) {
    }

    static final String FILE = "result.json";

    /** The identity of {@code run}'s run file: SHA-256 of its whole configuration as the study wrote it. */
    static String runFile(StudyPlan.PlannedRun run) {
        return dev.esactors.core.io.Sha256.of(run.config().source().hocon());
    }
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The result of a finished run from its final table (row 0 validation, row 1 test). */
    static StudyResult of(StudyPlan.PlannedRun run, long iterations, Cost cost, List<FinalEvaluation.Row> table,
                          String hash, Curves curves) {
        FinalEvaluation.Row validation = table.get(0);
        FinalEvaluation.Row test = table.get(1);
        return new StudyResult(run.name(), run.arm(), run.method(), run.value(), run.seed(), iterations, cost,
                validation.tuned().accuracy(), validation.tuned().meanReward(), test.tuned().accuracy(),
                test.tuned().meanReward(), test.base().accuracy(), test.base().meanReward(), hash, curves,
                runFile(run));
    }

    void save(Path dir) {
        // Field by field: Akka 2.6 pins Jackson 2.11, which predates record support.
        ObjectNode n = JSON.createObjectNode().put("name", name).put("arm", arm).put("method", method)
                .put("value", value)
                .put("seed", seed).put("iterations", iterations).put("completions", cost.completions())
                .put("generatedTokens", cost.generatedTokens()).put("trainedTokens", cost.trainedTokens())
                .put("seconds", cost.seconds()).put("cpuSeconds", cost.cpuSeconds())
                .put("peakRssBytes", cost.peakRssBytes()).put("flops", cost.flops())
                .put("validationAccuracy", validationAccuracy).put("validationReward", validationReward)
                .put("testAccuracy", testAccuracy).put("testReward", testReward)
                .put("baseTestAccuracy", baseTestAccuracy).put("baseTestReward", baseTestReward).put("hash", hash)
                .put("runFile", runFile);
        ArrayNode reward = n.putArray("meanReward");
        for (double r : curves.meanReward()) {
            reward.add(r);
        }
        ArrayNode heldOut = n.putArray("heldOut");
        for (int i = 0; i < curves.heldOutIteration().length; i++) {
            heldOut.addArray().add(curves.heldOutIteration()[i]).add(curves.heldOutAccuracy()[i]);
        }
        try {
            AtomicFiles.write(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The saved result in {@code dir}, if the run finished (an unreadable one counts as not finished). */
    public static Optional<StudyResult> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            double[] reward = new double[n.path("meanReward").size()];
            for (int i = 0; i < reward.length; i++) {
                reward[i] = n.path("meanReward").get(i).asDouble();
            }
            List<JsonNode> rounds = new ArrayList<>();
            n.path("heldOut").forEach(rounds::add);
            long[] at = rounds.stream().mapToLong(r -> r.get(0).asLong()).toArray();
            double[] accuracy = rounds.stream().mapToDouble(r -> r.get(1).asDouble()).toArray();
            Cost cost = new Cost(n.path("completions").asLong(), number(n, "generatedTokens"),
                    number(n, "trainedTokens"), n.path("seconds").asDouble(), number(n, "cpuSeconds"),
                    n.path("peakRssBytes").asLong(-1), number(n, "flops"));
            // results written before arms existed name their method's arm
            return Optional.of(new StudyResult(n.path("name").asText(), n.path("arm").asText(n.path("method")
                    .asText()), n.path("method").asText(),
                    n.path("value").asText(), n.path("seed").asLong(), n.path("iterations").asLong(), cost,
                    n.path("validationAccuracy").asDouble(), n.path("validationReward").asDouble(),
                    n.path("testAccuracy").asDouble(), n.path("testReward").asDouble(),
                    n.path("baseTestAccuracy").asDouble(), n.path("baseTestReward").asDouble(),
                    n.path("hash").asText(), new Curves(reward, at, accuracy), n.path("runFile").asText("")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A number that JSON may hold as "NaN" (Jackson writes non-finite doubles as strings). */
    private static double number(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNumber() ? v.asDouble() : v.isTextual() ? Double.parseDouble(v.asText()) : Double.NaN;
    }
}
