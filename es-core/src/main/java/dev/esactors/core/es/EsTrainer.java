package dev.esactors.core.es;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The single-process ES loop of Qiu et al. 2025, top to bottom: seeds -> evaluate -> shape -> update -> journal
 * -> checkpoint. The actors reuse its pieces ({@link SeedSchedule}, {@link EsReplica}, {@link FitnessShaping},
 * {@link UpdateJournal}, {@link CheckpointStore}); this class only strings them together.
 *
 * <p>A run directory holds {@code journal.jsonl} and {@code checkpoints/}. Opening a trainer on an existing
 * directory resumes: the newest intact checkpoint is loaded and the journal replayed past it, which gives the
 * weights bit for bit as they were.
 */
public final class EsTrainer implements AutoCloseable {

    /** What one iteration did. */
    public record IterationResult(Update update, int failedMembers, double seconds) {
    }

    private final EsRun run;
    private final FitnessFunction fitness;
    private final Consumer<String> log;

    /**
     * Opens (or resumes) the run in {@code runDir}; see {@link EsRun} for the parameters.
     */
    public EsTrainer(EsReplica replica, FitnessFunction fitness, Path runDir, String runIdentity,
                     int checkpointEvery, int keepCheckpoints, Consumer<String> log) {
        this.run = new EsRun(replica, runDir, runIdentity, checkpointEvery, keepCheckpoints, log);
        this.fitness = fitness;
        this.log = log;
    }

    /** The hash of ES config, run identity and base weights that checkpoints are checked against. */
    public String configHash() {
        return run.configHash();
    }

    /** The next iteration to run: the number of updates applied so far. */
    public long nextIteration() {
        return run.nextIteration();
    }

    public EsReplica replica() {
        return run.replica();
    }

    /** Runs iterations until {@code totalIterations} have been applied (counting those before a resume). */
    public List<IterationResult> runUntil(long totalIterations) {
        List<IterationResult> results = new ArrayList<>();
        while (run.nextIteration() < totalIterations) {
            results.add(step());
        }
        return results;
    }

    /** One iteration: evaluate every member, shape, journal, update, maybe checkpoint. */
    public IterationResult step() {
        long start = System.nanoTime();
        long t = run.nextIteration();
        EsConfig config = run.config();
        List<Member> members = config.schedule().members(t, config.populationSize(), config.antithetic());
        double[] rewards = new double[members.size()];
        for (Member m : members) {
            rewards[m.index()] = evaluate(t, m);
        }
        Update update = PopulationReducer.reduce(config, t, members, rewards);
        run.commit(update);
        int failed = PopulationReducer.failedCount(rewards);
        if (failed > 0) {
            log.accept("iteration " + t + ": " + failed + " of " + members.size()
                    + " members gave no finite reward; they count as the population's worst");
        }
        return new IterationResult(update, failed, (System.nanoTime() - start) / 1e9);
    }

    /** Writes a checkpoint of the current state now. */
    public Path checkpoint() {
        return run.checkpoint();
    }

    private double evaluate(long iteration, Member member) {
        EsReplica replica = run.replica();
        replica.perturb(member);
        try {
            return fitness.evaluate(iteration, member);
        } catch (Exception e) {
            log.accept("iteration " + iteration + " member " + member.index() + ": fitness failed: " + e);
            return Double.NaN;
        } finally {
            replica.restore();
        }
    }

    @Override
    public void close() {
        run.close();
    }
}
