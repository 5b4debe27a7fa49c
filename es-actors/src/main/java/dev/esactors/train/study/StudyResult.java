package dev.esactors.train.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.eval.FinalEvaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What one run of a study measured, kept as {@code result.json} in its directory (its presence marks the run done).
 *
 * @param name                 the run's name
 * @param method               es or grpo
 * @param value                its axis value
 * @param seed                 its seed
 * @param iterations           iterations (steps) run
 * @param completions          completions sampled for training
 * @param seconds              wall time of this process's share of the run
 * @param validationAccuracy   the final weights' accuracy on the validation dataset (chooses settings)
 * @param validationReward     and mean reward
 * @param testAccuracy         the final weights' accuracy on the test dataset (only reported)
 * @param testReward           and mean reward
 * @param baseTestAccuracy     the base model's test accuracy
 * @param baseTestReward       and mean reward
 * @param hash                 SHA-256 of the final weights
 */
public record StudyResult(String name, String method, String value, long seed, long iterations, long completions,
                          double seconds, double validationAccuracy, double validationReward, double testAccuracy,
                          double testReward, double baseTestAccuracy, double baseTestReward, String hash) {

    static final String FILE = "result.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The result of a finished run from its final table (row 0 validation, row 1 test). */
    static StudyResult of(StudyPlan.PlannedRun run, long iterations, long completions, double seconds,
                          List<FinalEvaluation.Row> table, String hash) {
        FinalEvaluation.Row validation = table.get(0);
        FinalEvaluation.Row test = table.get(1);
        return new StudyResult(run.name(), run.method(), run.value(), run.seed(), iterations, completions, seconds,
                validation.tuned().accuracy(), validation.tuned().meanReward(), test.tuned().accuracy(),
                test.tuned().meanReward(), test.base().accuracy(), test.base().meanReward(), hash);
    }

    void save(Path dir) {
        // Field by field: Akka 2.6 pins Jackson 2.11, which predates record support.
        var n = JSON.createObjectNode().put("name", name).put("method", method).put("value", value).put("seed", seed)
                .put("iterations", iterations).put("completions", completions).put("seconds", seconds)
                .put("validationAccuracy", validationAccuracy).put("validationReward", validationReward)
                .put("testAccuracy", testAccuracy).put("testReward", testReward)
                .put("baseTestAccuracy", baseTestAccuracy).put("baseTestReward", baseTestReward).put("hash", hash);
        try {
            AtomicFiles.write(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The saved result in {@code dir}, if the run finished (an unreadable one counts as not finished). */
    static Optional<StudyResult> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            return Optional.of(new StudyResult(n.path("name").asText(), n.path("method").asText(),
                    n.path("value").asText(), n.path("seed").asLong(), n.path("iterations").asLong(),
                    n.path("completions").asLong(), n.path("seconds").asDouble(),
                    n.path("validationAccuracy").asDouble(), n.path("validationReward").asDouble(),
                    n.path("testAccuracy").asDouble(), n.path("testReward").asDouble(),
                    n.path("baseTestAccuracy").asDouble(), n.path("baseTestReward").asDouble(),
                    n.path("hash").asText()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
