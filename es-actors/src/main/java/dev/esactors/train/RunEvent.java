package dev.esactors.train;

import dev.esactors.core.es.update.Update;
import dev.esactors.train.eval.FinalEvaluation;

import java.nio.file.Path;
import java.util.List;

/** What a run reports to whoever watches it (the command line's progress bar, tests), actors or not. Local only. */
public sealed interface RunEvent {

    /**
     * An iteration was committed.
     *
     * @param iteration  the iteration (0-based)
     * @param iterations total iterations of the run
     * @param meanReward mean raw reward of the population
     * @param maxReward  best raw reward
     * @param failed     members without a finite reward
     * @param evaluationsPerSecond members evaluated per second in this iteration
     * @param duplicates duplicate results ignored so far
     * @param stale      stale results ignored so far
     * @param reissued   members issued again so far (evaluator lost or deadline missed)
     * @param distinctRewards different raw rewards in the population (1: no signal)
     * @param tiedShare  share of members with the iteration's most common reward
     * @param skipped    the update was skipped: every member got the same reward
     */
    record IterationDone(long iteration, int iterations, double meanReward, double maxReward, int failed,
                         double evaluationsPerSecond, long duplicates, long stale, long reissued,
                         int distinctRewards, double tiedShare, boolean skipped) implements RunEvent {

        /** The event of committing {@code update}, whose members took {@code seconds} to evaluate. */
        public static IterationDone of(Update update, int iterations, double seconds, long duplicates, long stale,
                                       long reissued) {
            return of(update.iteration(), iterations, update.rewards(), seconds, duplicates, stale, reissued,
                    update.skipped());
        }

        /**
         * The event of an iteration whose raw {@code rewards} (NaN where one failed) took {@code seconds}, and whose
         * update was {@code skipped} or not.
         */
        public static IterationDone of(long iteration, int iterations, double[] rewards, double seconds,
                                       long duplicates, long stale, long reissued, boolean skipped) {
            double sum = 0;
            int n = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (double r : rewards) {
                if (Double.isFinite(r)) {
                    sum += r;
                    n++;
                    max = Math.max(max, r);
                }
            }
            return new IterationDone(iteration, iterations, n == 0 ? Double.NaN : sum / n, max,
                    Update.failedCount(rewards), rewards.length / Math.max(seconds, 1e-9), duplicates, stale,
                    reissued, Update.distinct(rewards), Update.tiedShare(rewards), skipped);
        }
    }

    /**
     * The run reached its last iteration.
     *
     * @param iterations iterations applied
     * @param masterHash SHA-256 of the final fp32 master
     * @param runDir     the run directory (journal, checkpoints, report, export)
     * @param exported   the exported Hugging Face directory
     * @param report     the run report (HTML)
     * @param evaluation the base-vs-ES table on the eval datasets (empty when none are configured)
     */
    record RunFinished(long iterations, String masterHash, Path runDir, Path exported, Path report,
                       List<FinalEvaluation.Row> evaluation) implements RunEvent {
    }

    /**
     * The weights after {@code iteration} updates were scored on the held-out dataset.
     *
     * @param iteration     updates applied
     * @param dataset       the held-out dataset
     * @param accuracy      share answered right
     * @param meanReward    mean reward
     * @param bestAccuracy  the best accuracy so far (its weights are in the run's best/ directory)
     * @param bestIteration where it was reached
     * @param samples       answers sampled per item (eval.samples; 0: greedy only, and the next two are 0)
     * @param passAtK       pass@samples
     * @param majority      maj@samples
     * @param klToBase      mean per-token KL(current || base) on eval.kl-prompts held-out prompts (NaN: not measured)
     * @param drift         relative weight drift from the base model per tensor group (empty: not measured)
     * @param others        greedy accuracy and mean reward on each eval.extra dataset (another task's), by its
     *                      table label
     */
    record HeldOut(long iteration, Path dataset, double accuracy, double meanReward, double bestAccuracy,
                   long bestIteration, int samples, double passAtK, double majority, double klToBase,
                   java.util.Map<String, Double> drift, java.util.Map<String, Scores> others) implements RunEvent {
        public HeldOut {
            drift = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(drift));
            others = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(others));
        }
    }

    /** A dataset's greedy accuracy and mean reward. */
    record Scores(double accuracy, double meanReward) {
    }

    /**
     * The run resumed at {@code step} from a checkpoint in its directory: the steps before it were taken by earlier
     * processes, which spent on them (and on the held-out rounds among them) {@code coreSeconds} of CPU time and
     * {@code seconds} of wall time, as far as its step log knows (steps logged before a column was kept count none).
     */
    record Resumed(long step, double coreSeconds, double seconds) implements RunEvent {
    }

    /** The run stopped on an error. */
    record RunFailed(String reason) implements RunEvent {
    }

    /** Something worth telling the user: a resume, a repaired journal, a skipped checkpoint. */
    record Note(String message) implements RunEvent {
    }

    /** An evaluator node's evaluators have all stopped (the run finished elsewhere, or they were refused). */
    record NodeStopped(String reason) implements RunEvent {
    }
}
