package dev.esactors.core.es;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateJournal;
import dev.esactors.core.io.Sha256;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.RunState;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The durable state of one ES run: the replica holding the fp32 master and the update journal, over the
 * {@link RunState} every run directory has (lock, fence, manifest, checkpoints). Opening it resumes (newest intact
 * checkpoint + journal replay); every committed update is journalled (fsynced) before it is applied. The
 * single-process {@link EsTrainer} and the Coordinator actor both keep their state here.
 */
public final class EsRun implements AutoCloseable {

    private final EsReplica replica;
    private final UpdateJournal journal;
    private final RunState state;
    private final int checkpointEvery;
    private final Consumer<String> log;
    private long nextIteration;

    /**
     * Opens (or resumes) the run in {@code runDir}.
     *
     * @param replica         the replica at its base weights (before any update of this run)
     * @param runIdentity     what else defines the run besides the ES config (task, model), part of the config hash
     * @param checkpointEvery iterations between checkpoints (0: never)
     * @param keepCheckpoints how many checkpoints to keep
     */
    public EsRun(EsReplica replica, Path runDir, String runIdentity, int checkpointEvery, int keepCheckpoints,
                 Consumer<String> log) {
        this(replica, runDir, runIdentity, UnaryOperator.identity(), checkpointEvery, keepCheckpoints, log);
    }

    /**
     * As above; {@code shown} rewrites the run's description before it is written to run.json (it hides values
     * that must not be stored in clear, such as ones taken from the environment).
     */
    public EsRun(EsReplica replica, Path runDir, String runIdentity, UnaryOperator<String> shown, int checkpointEvery,
                 int keepCheckpoints, Consumer<String> log) {
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + checkpointEvery);
        }
        this.replica = replica;
        this.log = log;
        this.checkpointEvery = checkpointEvery;
        this.state = RunState.open(runDir, configHash(replica, runIdentity),
                shown.apply(replica.config() + " | " + runIdentity), keepCheckpoints);
        state.otherKernels().ifPresent(log);
        try {
            this.journal = UpdateJournal.open(runDir.resolve("journal.jsonl"));
        } catch (RuntimeException e) {
            state.close();
            throw e;
        }
        try {
            resume();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The hash of ES config, run identity and base weights that a run's checkpoints are checked against, for
     * {@code replica} still at its base weights.
     */
    public static String configHash(EsReplica replica, String runIdentity) {
        return Sha256.of(replica.config().hash() + "|" + runIdentity + "|" + replica.masterHash());
    }

    /** The hash of ES config, run identity and base weights that checkpoints are checked against. */
    public String configHash() {
        return state.configHash();
    }

    /** The next iteration to run: the number of updates applied so far. */
    public long nextIteration() {
        return nextIteration;
    }

    public EsReplica replica() {
        return replica;
    }

    public EsConfig config() {
        return replica.config();
    }

    /** Every committed update, in iteration order (what a joining evaluator replays). */
    public List<Update> updates() {
        return journal.records();
    }

    /** Journals {@code update} (the next iteration), applies it to the master, and checkpoints when due. */
    public void commit(Update update) {
        commit(update, () -> { });
    }

    /**
     * {@link #commit(Update)}, running {@code onceDurable} as soon as the update is in the journal (fsynced), before
     * the master applies it: a coordinator hands out the next iteration's work there, so that its evaluators apply
     * the update while it does. {@link #nextIteration()} already counts the update then; the master does not yet.
     */
    public void commit(Update update, Runnable onceDurable) {
        if (update.iteration() != nextIteration) {
            throw new IllegalArgumentException("expected the update of iteration " + nextIteration + ", got "
                    + update.iteration());
        }
        state.checkWriter();
        journal.append(update);
        nextIteration = update.iteration() + 1;
        onceDurable.run();
        replica.apply(update);
        if (checkpointEvery > 0 && nextIteration % checkpointEvery == 0) {
            checkpoint();
        }
    }

    /** Writes a checkpoint of the current state now. */
    public Path checkpoint() {
        return state.checkpoint(nextIteration, snapshot());
    }

    /** Writes a checkpoint of the current state under {@code root} (e.g. the best weights so far), keeping one. */
    public Path checkpointTo(Path root) {
        return state.checkpointTo(root, nextIteration, snapshot());
    }

    /** The last checkpoint this process wrote, if any. */
    public Optional<RunState.CheckpointWrite> lastCheckpoint() {
        return state.lastCheckpoint();
    }

    private RunState.Snapshot snapshot() {
        return new RunState.Snapshot(replica.master(), replica.optimizerState(), replica.optimizerStep(),
                replica.masterHash());
    }

    private void resume() {
        if (!journal.recovery().isEmpty()) {
            log.accept(journal.recovery());
        }
        Optional<Checkpoint> checkpoint = state.latest(journal.size(), log);
        long from = 0;
        if (checkpoint.isPresent()) {
            Checkpoint c = checkpoint.get();
            replica.loadMaster(c); // tensor by tensor: no second fp32 model in memory
            replica.loadOptimizerState(c.optimizer(), c.optimizerStep());
            from = c.iteration();
            log.accept("resumed from checkpoint " + c.dir() + " (iteration " + from + ")");
        }
        List<Update> records = journal.records();
        for (long t = from; t < records.size(); t++) {
            replica.apply(records.get((int) t));
        }
        if (records.size() > from) {
            log.accept("replayed " + (records.size() - from) + " journal records to iteration " + records.size());
        }
        nextIteration = records.size();
    }

    @Override
    public void close() {
        journal.close();
        state.close();
    }
}
