package dev.esactors.core.es;

import dev.esactors.core.io.Sha256;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

    private final EsConfig config;
    private final EsReplica replica;
    private final FitnessFunction fitness;
    private final UpdateJournal journal;
    private final CheckpointStore checkpoints;
    private final int checkpointEvery;
    private final String configHash;
    private final Consumer<String> log;
    private long nextIteration;

    /**
     * Opens (or resumes) the run in {@code runDir}.
     *
     * @param replica         the model replica at its base weights (before any update of this run)
     * @param runIdentity     what else defines the run besides the ES config (task, model), part of the config hash
     * @param checkpointEvery iterations between checkpoints (0: never)
     * @param keepCheckpoints how many checkpoints to keep
     */
    public EsTrainer(EsReplica replica, FitnessFunction fitness, Path runDir, String runIdentity,
                     int checkpointEvery, int keepCheckpoints, Consumer<String> log) {
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + checkpointEvery);
        }
        this.config = replica.config();
        this.replica = replica;
        this.fitness = fitness;
        this.log = log;
        this.checkpointEvery = checkpointEvery;
        this.configHash = Sha256.of(config.hash() + "|" + runIdentity + "|" + replica.masterHash());
        RunManifest.check(runDir, configHash, config.toString() + " | " + runIdentity);
        this.journal = UpdateJournal.open(runDir.resolve("journal.jsonl"));
        this.checkpoints = new CheckpointStore(runDir.resolve("checkpoints"), keepCheckpoints);
        try {
            resume();
        } catch (RuntimeException e) {
            journal.close();
            throw e;
        }
    }

    /** The hash of ES config, run identity and base weights that checkpoints are checked against. */
    public String configHash() {
        return configHash;
    }

    /** The next iteration to run: the number of updates applied so far. */
    public long nextIteration() {
        return nextIteration;
    }

    public EsReplica replica() {
        return replica;
    }

    /** Runs iterations until {@code totalIterations} have been applied (counting those before a resume). */
    public List<IterationResult> runUntil(long totalIterations) {
        List<IterationResult> results = new ArrayList<>();
        while (nextIteration < totalIterations) {
            results.add(step());
        }
        return results;
    }

    /** One iteration: evaluate every member, shape, update, journal, maybe checkpoint. */
    public IterationResult step() {
        long start = System.nanoTime();
        long t = nextIteration;
        List<Member> members = config.schedule().members(t, config.populationSize(), config.antithetic());
        double[] rewards = new double[members.size()];
        int failed = 0;
        for (Member m : members) {
            rewards[m.index()] = evaluate(t, m);
            if (!Double.isFinite(rewards[m.index()])) {
                failed++;
            }
        }
        double[] coefficients = config.shaping().apply(RewardSanitizer.finite(rewards));
        if (failed == members.size()) {
            coefficients = new double[members.size()]; // nothing to learn from: a zero update keeps iterations aligned
        }
        long[] seeds = members.stream().mapToLong(Member::seed).toArray();
        int[] signs = members.stream().mapToInt(Member::sign).toArray();
        Update update = new Update(t, seeds, signs, coefficients, rewards, config.alpha(), config.sigma());
        journal.append(update);
        replica.apply(update);
        nextIteration = t + 1;
        if (checkpointEvery > 0 && nextIteration % checkpointEvery == 0) {
            checkpoints.save(nextIteration, configHash, replica);
        }
        if (failed > 0) {
            log.accept("iteration " + t + ": " + failed + " of " + members.size()
                    + " members gave no finite reward; they count as the population's worst");
        }
        return new IterationResult(update, failed, (System.nanoTime() - start) / 1e9);
    }

    /** Writes a checkpoint of the current state now. */
    public Path checkpoint() {
        return checkpoints.save(nextIteration, configHash, replica);
    }

    private double evaluate(long iteration, Member member) {
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

    private void resume() {
        if (!journal.recovery().isEmpty()) {
            log.accept(journal.recovery());
        }
        Optional<Checkpoint> checkpoint = checkpoints.latest(journal.size(), configHash, log);
        long from = 0;
        if (checkpoint.isPresent()) {
            Checkpoint c = checkpoint.get();
            replica.loadMaster(c.master());
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
    }
}
