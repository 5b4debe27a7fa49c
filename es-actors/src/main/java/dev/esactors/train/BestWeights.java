package dev.esactors.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.CheckpointStore;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.config.RunConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The run's best weights so far on its held-out dataset: a checkpoint in {@code best/} and, next to it,
 * {@code selection.json} with the score that chose it, so that a resumed coordinator only replaces them with
 * better ones.
 *
 * @param iteration  updates applied to the chosen weights
 * @param dataset    the dataset they were chosen on
 * @param accuracy   their accuracy there
 * @param meanReward their mean reward there (breaks ties in accuracy)
 */
public record BestWeights(long iteration, Path dataset, double accuracy, double meanReward) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SELECTION = "selection.json";

    /** Whether {@code accuracy} and {@code meanReward} beat these (accuracy first, then mean reward). */
    public boolean beatenBy(double accuracy, double meanReward) {
        return accuracy > this.accuracy || (accuracy == this.accuracy && meanReward > this.meanReward);
    }

    public static Path dir(RunConfig config) {
        return config.dir().resolve("best");
    }

    /** Records the choice (after the checkpoint itself is written). */
    public void save(RunConfig config) {
        var root = JSON.createObjectNode().put("iteration", iteration)
                .put("dataset", dataset.toAbsolutePath().normalize().toString())
                .put("accuracy", accuracy).put("meanReward", meanReward);
        try {
            AtomicFiles.write(dir(config).resolve(SELECTION), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The saved choice, if one was made on {@code dataset} (a choice on another dataset is not comparable and is
     * replaced by the next evaluation); empty when none or unreadable.
     */
    public static Optional<BestWeights> read(RunConfig config, Path dataset) {
        Path file = dir(config).resolve(SELECTION);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!n.path("dataset").asText().equals(dataset.toAbsolutePath().normalize().toString())) {
                return Optional.empty();
            }
            return Optional.of(new BestWeights(n.path("iteration").asLong(), dataset, n.path("accuracy").asDouble(),
                    n.path("meanReward").asDouble()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The checkpoint in best/ (written under {@code configHash}); damaged ones are reported to {@code warnings}. */
    public static Optional<Checkpoint> load(RunConfig config, String configHash, Consumer<String> warnings) {
        return new CheckpointStore(dir(config), 1).latest(Long.MAX_VALUE, configHash, warnings);
    }
}
