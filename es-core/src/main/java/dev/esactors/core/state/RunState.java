package dev.esactors.core.state;

import dev.esactors.core.io.DirectoryLock;
import dev.esactors.core.torch.Torch;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What every run directory holds whatever the method trains: one writer (the directory lock, and the fence where
 * the lock may not hold), the configuration it belongs to ({@code run.json}), and its checkpoints. ES keeps its
 * journal beside it ({@code EsRun}); GRPO keeps its optimizer's moments in the checkpoints. Opening refuses a
 * directory that belongs to another configuration, so one method's run never takes over another's.
 */
public final class RunState implements AutoCloseable {

    private final String configHash;
    private final DirectoryLock lock; // held until close: one writer per run directory
    private final RunFence fence; // where the lock may not hold (a shared volume), a replaced writer stops
    private final CheckpointStore checkpoints;
    private final Optional<String> otherKernels;
    private CheckpointWrite lastCheckpoint;

    /**
     * A checkpoint written by this run, for monitoring.
     *
     * @param dir     its directory
     * @param seconds time to write it (weights, optimizer state, hash, rename)
     * @param bytes   bytes on disk
     */
    public record CheckpointWrite(Path dir, double seconds, long bytes) {
    }

    /**
     * What a checkpoint holds.
     *
     * @param weights       the fp32 weights by name
     * @param optimizer     optimizer state tensors by name ({@code adam.*}; empty without one)
     * @param optimizerStep the optimizer's step count
     * @param weightsHash   the weights' SHA-256 as the run reports it
     */
    public record Snapshot(Map<String, Tensor> weights, Map<String, Tensor> optimizer, long optimizerStep,
                           String weightsHash) {
    }

    private RunState(String configHash, DirectoryLock lock, RunFence fence, CheckpointStore checkpoints,
                     Optional<String> otherKernels) {
        this.configHash = configHash;
        this.lock = lock;
        this.fence = fence;
        this.checkpoints = checkpoints;
        this.otherKernels = otherKernels;
    }

    /**
     * Takes {@code dir} for a run whose configuration hashes to {@code configHash} ({@code description} says what
     * that configuration is, in run.json): locks it, checks or writes the manifest (with this process's CPU
     * kernels), and takes the next fence epoch.
     */
    public static RunState open(Path dir, String configHash, String description, int keepCheckpoints) {
        // made first: a bad count is refused before the directory is locked or its manifest written
        CheckpointStore checkpoints = new CheckpointStore(dir.resolve("checkpoints"), keepCheckpoints);
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            Optional<String> otherKernels = RunManifest.check(dir, configHash, description, Torch.kernels());
            return new RunState(configHash, lock, RunFence.take(dir), checkpoints, otherKernels);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The hash of everything that defines the run's results, which its checkpoints are checked against. */
    public String configHash() {
        return configHash;
    }

    /**
     * A warning for the run's log when it started on other CPU kernels than this process runs ({@link RunManifest}):
     * a resume on another kind of machine, whose weights may then differ from an uninterrupted run's.
     */
    public Optional<String> otherKernels() {
        return otherKernels;
    }

    /** Throws if another writer has taken the directory since this one opened it: call before each durable write. */
    public void checkWriter() {
        fence.check();
    }

    /**
     * The newest intact checkpoint at or below step {@code atMost} (damaged ones are skipped with a warning); one of
     * another configuration is an error.
     */
    public Optional<Checkpoint> latest(long atMost, Consumer<String> warnings) {
        return checkpoints.latest(atMost, configHash, warnings);
    }

    /** Writes a checkpoint of {@code snapshot} after {@code step} steps into checkpoints/, keeping the newest few. */
    public Path checkpoint(long step, Snapshot snapshot) {
        return timed(checkpoints, step, snapshot);
    }

    /** Writes a checkpoint of {@code snapshot} under {@code root} (e.g. the best weights so far), keeping one. */
    public Path checkpointTo(Path root, long step, Snapshot snapshot) {
        return timed(root.equals(checkpoints.root()) ? checkpoints : new CheckpointStore(root, 1), step, snapshot);
    }

    /** The last checkpoint this process wrote, if any. */
    public Optional<CheckpointWrite> lastCheckpoint() {
        return Optional.ofNullable(lastCheckpoint);
    }

    private Path timed(CheckpointStore store, long step, Snapshot snapshot) {
        fence.check();
        long start = System.nanoTime();
        Path written = store.save(step, configHash, snapshot.weights(), snapshot.optimizer(), snapshot.optimizerStep(),
                snapshot.weightsHash());
        lastCheckpoint = new CheckpointWrite(written, (System.nanoTime() - start) / 1e9, sizeOf(written));
        return written;
    }

    private static long sizeOf(Path dir) {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return -1; // only a monitoring figure: the checkpoint itself is already safely written
        }
    }

    @Override
    public void close() {
        lock.close();
    }
}
