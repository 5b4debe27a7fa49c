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
        double[] usable = RewardSanitizer.finite(rewards);
        if (config.shuffledControl()) {
            usable = shuffled(usable, config.schedule().seed(iteration, Integer.MAX_VALUE));
        }
        double[] coefficients = failed == rewards.length
                ? new double[rewards.length] // nothing to learn from: a zero update keeps iterations aligned
                : config.shaping().apply(usable);
        long[] seeds = members.stream().mapToLong(Member::seed).toArray();
        int[] signs = members.stream().mapToInt(Member::sign).toArray();
        return new Update(iteration, seeds, signs, coefficients, rewards, config.alphaAt(iteration), config.sigma());
    }

    /** A seeded Fisher-Yates permutation of {@code values} (the control run's rewards). */
    private static double[] shuffled(double[] values, long seed) {
        double[] out = values.clone();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = out.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
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
