package dev.esactors.core.es;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateJournal;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.CheckpointStore;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Rebuilds a run's fp32 master at any journalled iteration: from the newest intact checkpoint at or below it, or
 * (an audit of the whole run) from the base weights with every update re-applied. An update is a pure function of
 * seeds and scalars, so the result is bit for bit what the run held at that iteration, also after its checkpoints
 * were pruned. The run directory is only read.
 */
public final class JournalReplay {

    /**
     * What a replay did.
     *
     * @param iteration  updates applied to the master it rebuilt
     * @param from       the iteration it started from (0: the base weights)
     * @param masterHash SHA-256 of the rebuilt master, as the run prints and checkpoints record it
     * @param checked    the checkpoint at {@code iteration} it was compared with, if one exists and the replay did
     *                   not start from it; the comparison passed (a mismatch is an error)
     */
    public record Result(long iteration, long from, String masterHash, Optional<Path> checked) {
    }

    private JournalReplay() {
    }

    /**
     * Replays the run in {@code runDir} into {@code replica}, which must hold the run's base weights, up to
     * {@code iteration} updates.
     *
     * @param configHash the run's configuration hash ({@link EsRun#configHash(EsReplica, String)})
     * @param fromBase   re-apply every update from the base weights instead of starting at a checkpoint
     * @param log        notes: skipped damaged checkpoints, where the replay started
     * @throws IllegalArgumentException if the journal holds fewer updates than {@code iteration}
     * @throws IllegalStateException    if the rebuilt master differs from the run's checkpoint at {@code iteration}
     */
    public static Result replay(EsReplica replica, String configHash, Path runDir, long iteration, boolean fromBase,
                                Consumer<String> log) {
        Path journalFile = runDir.resolve("journal.jsonl");
        List<Update> updates = UpdateJournal.read(journalFile);
        if (iteration < 0 || iteration > updates.size()) {
            throw new IllegalArgumentException(journalFile + " holds " + updates.size() + " updates; cannot rebuild "
                    + "iteration " + iteration + " (choose 0.." + updates.size() + ")");
        }
        CheckpointStore checkpoints = new CheckpointStore(runDir.resolve("checkpoints"), Integer.MAX_VALUE);
        long from = 0;
        if (!fromBase) {
            Optional<Checkpoint> start = checkpoints.atOrBelow(iteration, configHash, log);
            if (start.isPresent()) {
                Checkpoint c = start.get();
                replica.loadMaster(c); // tensor by tensor: no second fp32 model in memory
                replica.loadOptimizerState(c.optimizer(), c.optimizerStep());
                from = c.iteration();
                log.accept("starting from checkpoint " + c.dir());
            }
        }
        for (long t = from; t < iteration; t++) {
            replica.apply(updates.get((int) t));
        }
        Optional<Path> checked = Optional.empty();
        if (from < iteration) {
            Optional<Checkpoint> same = checkpoints.atOrBelow(iteration, configHash, log)
                    .filter(c -> c.iteration() == iteration);
            if (same.isPresent()) {
                requireEqual(replica.master(), same.get());
                checked = Optional.of(same.get().dir());
            }
        }
        return new Result(iteration, from, replica.masterHash(), checked);
    }

    private static void requireEqual(Map<String, Tensor> master, Checkpoint checkpoint) {
        try (PointerScope scope = new PointerScope()) {
            for (Map.Entry<String, Tensor> e : master.entrySet()) {
                Tensor saved = checkpoint.master().get(e.getKey());
                if (saved == null || !torch.equal(e.getValue(), saved)) {
                    throw new IllegalStateException("replayed weights differ from checkpoint " + checkpoint.dir()
                            + " in '" + e.getKey() + "': the journal, the base model or the code changed since the "
                            + "run wrote it");
                }
            }
        }
    }
}
