package dev.esactors.core.rl;

/**
 * GRPO's group-relative advantages: each completion's reward minus the mean reward of its prompt's group of G, and
 * with {@link Scaling#STD} divided by the group's standard deviation (GRPO, Shao et al. 2024) or left as they are
 * with {@link Scaling#NONE} (Dr.GRPO, Liu et al. 2025, which finds the division biases toward easy and hard
 * prompts). No learned value function: the group is the baseline.
 */
public final class GroupAdvantages {

    /** How advantages are scaled within a group. */
    public enum Scaling {
        /** (r - mean) / (std + 1e-4), std with Bessel's correction as TRL computes it */
        STD,
        /** r - mean */
        NONE
    }

    /** Added to the standard deviation, so that a group whose rewards are all equal gets zero advantages. */
    public static final double EPSILON = 1e-4;

    private GroupAdvantages() {
    }

    /**
     * The advantages of {@code rewards}, consecutive groups of {@code groupSize} completions of one prompt each.
     * Non-finite rewards are refused: a reward that failed must be scored (e.g. as 0) before it gets here.
     */
    public static double[] of(double[] rewards, int groupSize, Scaling scaling) {
        if (groupSize < 2 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException("need groups of at least 2 completions, got " + rewards.length
                    + " rewards in groups of " + groupSize);
        }
        double[] out = new double[rewards.length];
        for (int start = 0; start < rewards.length; start += groupSize) {
            double sum = 0;
            for (int i = start; i < start + groupSize; i++) {
                if (!Double.isFinite(rewards[i])) {
                    throw new IllegalArgumentException("reward " + i + " is " + rewards[i]);
                }
                sum += rewards[i];
            }
            double mean = sum / groupSize;
            double squares = 0;
            for (int i = start; i < start + groupSize; i++) {
                squares += (rewards[i] - mean) * (rewards[i] - mean);
            }
            double scale = scaling == Scaling.STD ? Math.sqrt(squares / (groupSize - 1)) + EPSILON : 1;
            for (int i = start; i < start + groupSize; i++) {
                out[i] = (rewards[i] - mean) / scale;
            }
        }
        return out;
    }
}
