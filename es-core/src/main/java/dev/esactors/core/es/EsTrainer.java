package dev.esactors.core.es;

import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.WeightDelta;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The single-process ES loop of Qiu et al. 2025, top to bottom: seeds -> evaluate -> shape -> update -> journal
 * -> checkpoint. The actors reuse its pieces ({@link SeedSchedule}, {@link MemberPerturbation},
 * {@link Update#fromRewards}, {@link EsRun}); this class only strings them together. Members are evaluated in the
 * groups the perturbation batches (one member at full rank, es.members-per-pass at low rank), as evaluators do.
 *
 * <p>A run directory holds {@code journal.jsonl} and {@code checkpoints/}. Opening a trainer on an existing
 * directory resumes: the newest intact checkpoint is loaded and the journal replayed past it, which gives the
 * weights bit for bit as they were.
 */
public final class EsTrainer implements AutoCloseable {

    /**
     * What one iteration did.
     *
     * @param update        the update committed
     * @param failedMembers members without a finite reward
     * @param tokens        tokens the members generated
     * @param seconds       wall time
     */
    public record IterationResult(Update update, int failedMembers, long tokens, double seconds) {
    }

    private final EsRun run;
    private final MemberPerturbation perturbation;
    private final GroupFitness fitness;
    private final Consumer<String> log;

    /**
     * Opens (or resumes) the run in {@code runDir}; see {@link EsRun} for the parameters. {@code fitness} scores
     * one member at a time with its noise in the weights, so this suits full-rank runs only.
     */
    public EsTrainer(EsReplica replica, FitnessFunction fitness, Path runDir, String runIdentity,
                     int checkpointEvery, int keepCheckpoints, Consumer<String> log) {
        this(new EsRun(replica, runDir, runIdentity, checkpointEvery, keepCheckpoints, log), inPlace(fitness), log);
    }

    /** Trains {@code run} (already opened or resumed), scoring members with {@code fitness}. */
    public EsTrainer(EsRun run, GroupFitness fitness, Consumer<String> log) {
        this.run = run;
        this.perturbation = MemberPerturbation.of(run.replica());
        this.fitness = fitness;
        this.log = log;
    }

    /** A member-at-a-time fitness as a group fitness: valid only where the noise is in the weights. */
    private static GroupFitness inPlace(FitnessFunction fitness) {
        return (iteration, group, delta) -> {
            if (delta != WeightDelta.NONE || group.size() != 1) {
                throw new IllegalStateException("a FitnessFunction scores full-rank members one at a time");
            }
            try {
                return List.of(MemberScore.of(fitness.evaluate(iteration, group.get(0)), 0));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    /** The run being trained: its journal, checkpoints and replica. */
    public EsRun run() {
        return run;
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
        double[][] promptRewards = new double[members.size()][];
        int groupSize = config.perturbation().membersPerPass();
        long tokens = 0;
        String firstError = "no finite reward";
        for (int first = 0; first < members.size(); first += groupSize) {
            List<Member> group = members.subList(first, Math.min(first + groupSize, members.size()));
            List<MemberScore> scores = perturbation.evaluate(t, group, fitness);
            for (int k = 0; k < group.size(); k++) {
                rewards[group.get(k).index()] = scores.get(k).reward();
                promptRewards[group.get(k).index()] = scores.get(k).promptRewards();
                tokens += scores.get(k).tokens();
                if (!scores.get(k).error().isEmpty()) {
                    firstError = firstError.equals("no finite reward") ? scores.get(k).error() : firstError;
                    log.accept("iteration " + t + " member " + group.get(k).index() + ": fitness failed: "
                            + scores.get(k).error());
                }
            }
        }
        int failed = Update.failedCount(rewards);
        if (failed == members.size()) { // an update without signal would be journalled as if it were one
            throw new IllegalStateException("iteration " + t + ": all " + failed + " members failed (" + firstError
                    + "); the run stops before journalling it");
        }
        Update update = Update.fromRewards(config, t, members, rewards, promptRewards);
        run.commit(update);
        if (failed > 0) {
            log.accept("iteration " + t + ": " + failed + " of " + members.size()
                    + " members gave no finite reward; they count as the population's worst");
        }
        return new IterationResult(update, failed, tokens, (System.nanoTime() - start) / 1e9);
    }

    /** Writes a checkpoint of the current state now. */
    public Path checkpoint() {
        return run.checkpoint();
    }

    @Override
    public void close() {
        run.close();
    }
}
