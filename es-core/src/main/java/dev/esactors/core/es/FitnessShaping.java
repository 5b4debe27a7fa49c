package dev.esactors.core.es;

import java.util.Arrays;
import java.util.Comparator;

/** Turns a population's raw rewards into update coefficients. Raw rewards are never changed in place. */
public enum FitnessShaping {
    /** (R - mean) / (std + 1e-8) with the population std: the paper's choice. */
    ZSCORE,
    /** Ranks mapped linearly onto [-0.5, 0.5] (OpenAI ES, 2017); tied rewards share their average rank. */
    CENTERED_RANKS,
    /** The raw rewards themselves. */
    NONE;

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
        };
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
