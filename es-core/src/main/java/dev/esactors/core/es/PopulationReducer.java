package dev.esactors.core.es;

import java.util.List;

/**
 * Turns one iteration's raw rewards into its {@link Update}: failed members (NaN or infinite) count as the
 * population's worst, the rest is shaped as configured. Pure: the Reducer actor and {@link EsTrainer} share it.
 */
public final class PopulationReducer {

    private PopulationReducer() {
    }

    /** The update of {@code iteration} for {@code members} with {@code rewards} (indexed like the members). */
    public static Update reduce(EsConfig config, long iteration, List<Member> members, double[] rewards) {
        if (rewards.length != members.size()) {
            throw new IllegalArgumentException("expected " + members.size() + " rewards, got " + rewards.length);
        }
        int failed = failedCount(rewards);
        double[] coefficients = failed == rewards.length
                ? new double[rewards.length] // nothing to learn from: a zero update keeps iterations aligned
                : config.shaping().apply(RewardSanitizer.finite(rewards));
        long[] seeds = members.stream().mapToLong(Member::seed).toArray();
        int[] signs = members.stream().mapToInt(Member::sign).toArray();
        return new Update(iteration, seeds, signs, coefficients, rewards, config.alpha(), config.sigma());
    }

    /** How many rewards are not finite. */
    public static int failedCount(double[] rewards) {
        int failed = 0;
        for (double r : rewards) {
            if (!Double.isFinite(r)) {
                failed++;
            }
        }
        return failed;
    }
}
