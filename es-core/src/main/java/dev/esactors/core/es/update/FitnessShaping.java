package dev.esactors.core.es.update;

import java.util.Arrays;
import java.util.Comparator;

/** Turns a population's raw rewards into update coefficients. Raw rewards are never changed in place. */
public enum FitnessShaping {
    /** (R - mean) / (std + 1e-8) with the population std: the paper's choice. */
    ZSCORE,
    /** Ranks mapped linearly onto [-0.5, 0.5] (OpenAI ES, 2017); tied rewards share their average rank. */
    CENTERED_RANKS,
    /** The raw rewards themselves. */
    NONE,
    /**
     * EGGROLL's group normalisation: each prompt's rewards z-scored across the population, then averaged over the
     * prompts into a member's coefficient, so that hard and easy prompts weigh alike ({@link #perPrompt}).
     */
    PER_PROMPT;

    /** The shaped coefficients of {@code rewards}, which must all be finite. */
    public double[] apply(double[] rewards) {
        for (int i = 0; i < rewards.length; i++) {
            if (!Double.isFinite(rewards[i])) {
                throw new IllegalArgumentException("reward of member " + i + " is " + rewards[i]
                        + "; fitness shaping needs finite rewards");
            }
        }
        return switch (this) {
            case ZSCORE -> zscore(rewards);
            case CENTERED_RANKS -> centeredRanks(rewards);
            case NONE -> rewards.clone();
            case PER_PROMPT -> throw new IllegalArgumentException("per-prompt shaping needs each member's reward on "
                    + "each prompt, not only their mean");
        };
    }

    /**
     * Per-prompt shaping of {@code promptRewards} (row n: member n's reward on each of the iteration's prompts, all
     * rows as long, all finite): column p z-scored across the members, then each row averaged.
     */
    public static double[] perPrompt(double[][] promptRewards) {
        int members = promptRewards.length;
        int prompts = promptRewards[0].length;
        double[] coefficients = new double[members];
        double[] column = new double[members];
        for (int p = 0; p < prompts; p++) {
            for (int n = 0; n < members; n++) {
                if (promptRewards[n].length != prompts) {
                    throw new IllegalArgumentException("member " + n + " has " + promptRewards[n].length
                            + " prompt rewards, member 0 " + prompts);
                }
                column[n] = promptRewards[n][p];
            }
            double[] z = ZSCORE.apply(column);
            for (int n = 0; n < members; n++) {
                coefficients[n] += z[n];
            }
        }
        for (int n = 0; n < members; n++) {
            coefficients[n] /= prompts;
        }
        return coefficients;
    }

    private static double[] zscore(double[] r) {
        double mean = 0;
        for (double x : r) {
            mean += x;
        }
        mean /= r.length;
        double variance = 0;
        for (double x : r) {
            variance += (x - mean) * (x - mean);
        }
        double std = Math.sqrt(variance / r.length);
        double[] z = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            z[i] = (r[i] - mean) / (std + 1e-8);
        }
        return z;
    }

    private static double[] centeredRanks(double[] r) {
        int n = r.length;
        double[] out = new double[n];
        if (n == 1) {
            return out;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> r[i]));
        for (int start = 0; start < n; ) {
            int end = start;
            while (end + 1 < n && r[order[end + 1]] == r[order[start]]) {
                end++;
            }
            double rank = (start + end) / 2.0; // average rank of a tie group
            for (int k = start; k <= end; k++) {
                out[order[k]] = rank / (n - 1) - 0.5;
            }
            start = end + 1;
        }
        return out;
    }
}
