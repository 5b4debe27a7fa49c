package dev.esactors.core.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.io.IoErrors;
import dev.esactors.core.io.JsonFiles;
import dev.esactors.core.io.SafetensorsFile;
import dev.esactors.core.io.SafetensorsWriter;
import dev.esactors.core.io.Sha256;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints of a run: {@code iter-NNNNNNNN/} directories holding the fp32 master (and optimizer state) in
 * safetensors and a small {@code state.json}. Each is written into a temporary directory and renamed into place,
 * so a crash never leaves a half checkpoint under a real name; the newest {@code keep} are kept.
 */
public final class CheckpointStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("iter-(\\d{8})");
    public static final String WEIGHTS = "weights.safetensors";
    public static final String STATE = "state.json";

    private final Path root;
    private final int keep;

    public CheckpointStore(Path root, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("checkpoints to keep must be >= 1, got " + keep);
        }
        this.root = root;
        this.keep = keep;
    }

    public Path root() {
        return root;
    }

    /**
     * Writes a checkpoint after {@code iteration} steps: {@code weights} by name, {@code optimizer} state tensors
     * (named {@code adam.*}) and step count, and the weights' hash; then prunes old ones.
     */
    public Path save(long iteration, String configHash, Map<String, Tensor> weights, Map<String, Tensor> optimizer,
                     long optimizerStep, String weightsHash) {
        String name = String.format("iter-%08d", iteration);
        Path target = root.resolve(name);
        Path temp = root.resolve("." + name + ".tmp");
        try {
            Files.createDirectories(root);
            deleteTree(temp);
            Files.createDirectories(temp);
            Map<String, Tensor> tensors = new LinkedHashMap<>(weights); // the writer copies each to the CPU
            tensors.putAll(optimizer);
            SafetensorsWriter.write(temp.resolve(WEIGHTS), tensors, Map.of("format", "pt", "es.iteration",
                    Long.toString(iteration)));
            ObjectNode state = JSON.createObjectNode();
            state.put("iteration", iteration);
            state.put("configHash", configHash);
            state.put("journalRecords", iteration);
            state.put("optimizerStep", optimizerStep);
            state.put("weightsSha256", Sha256.of(temp.resolve(WEIGHTS)));
            state.put("masterHash", weightsHash);
            AtomicFiles.write(temp.resolve(STATE), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(state).getBytes(StandardCharsets.UTF_8));
            deleteTree(target);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target);
            }
            prune();
            return target;
        } catch (IOException e) {
            removeQuietly(temp);
            throw IoErrors.failure("cannot write checkpoint " + target, e);
        } catch (RuntimeException e) {
            removeQuietly(temp); // a half-written checkpoint is of no use, and may be what filled the disk
            throw e;
        }
    }

    /** Iterations of the checkpoints on disk, newest first. */
    public List<Long> iterations() {
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.forEach(d -> {
                Matcher m = NAME.matcher(d.getFileName().toString());
                if (m.matches() && Files.isDirectory(d)) {
                    out.add(Long.parseLong(m.group(1)));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + root, e);
        }
        out.sort(Comparator.reverseOrder());
        return out;
    }

    /**
     * The newest intact checkpoint at or below {@code maxIteration}. Damaged ones (unreadable state, missing or
     * altered weights) are skipped and reported to {@code warnings}; one written under another configuration is
     * refused with an error, since resuming it would silently mix two runs.
     */
    public Optional<Checkpoint> latest(long maxIteration, String configHash, Consumer<String> warnings) {
        return latest(maxIteration, configHash, warnings, true);
    }

    /**
     * The newest intact checkpoint at or below {@code iteration} written under {@code configHash}, for reading a
     * run's past: newer checkpoints are expected there and skipped silently; damaged ones, and those of another
     * configuration (which a reader must not trust, but need not refuse), are skipped and reported.
     */
    public Optional<Checkpoint> atOrBelow(long iteration, String configHash, Consumer<String> warnings) {
        return latest(iteration, configHash, warnings, false);
    }

    private Optional<Checkpoint> latest(long maxIteration, String configHash, Consumer<String> warnings,
                                        boolean resuming) {
        for (long iteration : iterations()) {
            if (iteration > maxIteration) {
                if (resuming) {
                    warnings.accept("checkpoint " + dir(iteration) + " is ahead of the journal (" + maxIteration
                            + " records); skipped");
                }
                continue;
            }
            Path dir = dir(iteration);
            JsonNode state;
            try {
                state = JsonFiles.readTree(JSON, dir.resolve(STATE));
                if (state == null || state.path("iteration").asLong(-1) != iteration) {
                    throw new IOException("state.json does not hold iteration " + iteration);
                }
                if (!Sha256.of(dir.resolve(WEIGHTS)).equals(state.path("weightsSha256").asText())) {
                    throw new IOException(WEIGHTS + " does not match the checksum in state.json");
                }
            } catch (IOException | RuntimeException e) {
                warnings.accept("checkpoint " + dir + " is damaged (" + e.getMessage() + "); trying an older one");
                continue;
            }
            String hash = state.path("configHash").asText();
            if (!hash.equals(configHash) && !resuming) {
                warnings.accept("checkpoint " + dir + " was written with config hash " + hash + ", not "
                        + configHash + "; not used");
                continue;
            }
            if (!hash.equals(configHash)) {
                throw new IllegalStateException("checkpoint " + dir + " was written with config hash " + hash
                        + " but this run's config hashes to " + configHash + "; refusing to resume another run "
                        + "(use a new run directory, or the original config)");
            }
            return Optional.of(read(dir, iteration, hash, state.path("optimizerStep").asLong(0)));
        }
        return Optional.empty();
    }

    private static Checkpoint read(Path dir, long iteration, String hash, long optimizerStep) {
        Map<String, Tensor> optimizer = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            for (String name : f.tensors().keySet()) {
                if (Checkpoint.isOptimizerState(name)) {
                    optimizer.put(name, f.load(name));
                }
            }
        }
        return new Checkpoint(dir, iteration, hash, dir.resolve(WEIGHTS), optimizer, optimizerStep);
    }

    private Path dir(long iteration) {
        return root.resolve(String.format("iter-%08d", iteration));
    }

    private void prune() throws IOException {
        List<Long> all = iterations();
        for (int i = keep; i < all.size(); i++) {
            deleteTree(dir(all.get(i)));
        }
    }

    private static void removeQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException ignored) {
            // the next save of this iteration deletes it first
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
