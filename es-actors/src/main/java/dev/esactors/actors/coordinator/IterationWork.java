package dev.esactors.actors.coordinator;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.noise.Member;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One iteration's members as work: fixed groups of es.members-per-pass (one member at full rank) handed out by a
 * {@link WorkQueue}, and the raw rewards as they come back. The first result for a group counts; later copies
 * are duplicates and results for another iteration or another grouping are stale.
 *
 * @param <E> an evaluator
 */
final class IterationWork<E> {

    /** What became of a result. */
    enum Outcome {
        ACCEPTED, DUPLICATE, STALE,
        /** from an evaluator the unit was never issued to */
        UNISSUED
    }

    private final long iteration;
    private final List<Member> members;
    private final int groupSize;
    private final WorkQueue<Integer, E> groups;
    private final double[] rewards;
    private final double[][] promptRewards; // per member, empty until (or unless) its group sent them
    private final long startNanos = System.nanoTime();

    /** The work of {@code iteration} under {@code config}'s seed schedule and grouping. */
    IterationWork(EsConfig config, long iteration) {
        this.iteration = iteration;
        this.members = config.schedule().members(iteration, config.populationSize(), config.antithetic());
        this.groupSize = config.perturbation().membersPerPass();
        int count = (members.size() + groupSize - 1) / groupSize;
        this.groups = new WorkQueue<>(IntStream.range(0, count).boxed().toList());
        this.rewards = new double[members.size()];
        Arrays.fill(rewards, Double.NaN);
        this.promptRewards = new double[members.size()][0];
    }

    long iteration() {
        return iteration;
    }

    List<Member> members() {
        return members;
    }

    WorkQueue<Integer, E> queue() {
        return groups;
    }

    /** The first member of group {@code group}. */
    int first(int group) {
        return group * groupSize;
    }

    /** The members in group {@code group} (the last one may be short). */
    int count(int group) {
        return Math.min(groupSize, members.size() - first(group));
    }

    /** Records the rewards of the group from member {@code first} of {@code resultIteration}, sent by {@code from}. */
    Outcome accept(long resultIteration, int first, double[] groupRewards, E from) {
        return accept(resultIteration, first, groupRewards, new double[0][], from);
    }

    /** As above, with the members' rewards on each prompt (rows indexed like {@code groupRewards}, or none). */
    Outcome accept(long resultIteration, int first, double[] groupRewards, double[][] groupPromptRewards, E from) {
        if (resultIteration != iteration || first < 0 || first >= members.size() || first % groupSize != 0
                || groupRewards.length != count(first / groupSize)) {
            return Outcome.STALE;
        }
        if (!groups.issuedTo(first / groupSize, from)) {
            return Outcome.UNISSUED;
        }
        if (!groups.complete(first / groupSize)) {
            return Outcome.DUPLICATE;
        }
        System.arraycopy(groupRewards, 0, rewards, first, groupRewards.length);
        for (int k = 0; k < groupPromptRewards.length && k < groupRewards.length; k++) {
            promptRewards[first + k] = groupPromptRewards[k].clone();
        }
        return Outcome.ACCEPTED;
    }

    /** Whether every group has its rewards. */
    boolean complete() {
        return groups.isDone();
    }

    /** The raw rewards, indexed like the members (NaN where an evaluation failed). */
    double[] rewards() {
        return rewards.clone();
    }

    /** Each member's rewards on each prompt (empty rows where none came: failed, or not per-prompt shaping). */
    double[][] promptRewards() {
        double[][] out = new double[promptRewards.length][];
        for (int n = 0; n < out.length; n++) {
            out[n] = promptRewards[n].clone();
        }
        return out;
    }

    /** Seconds since the iteration's work was created. */
    double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
