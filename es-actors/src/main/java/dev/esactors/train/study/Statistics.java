package dev.esactors.train.study;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The statistics a study reports, in plain Java and seeded, so that a report repeats bit for bit: means and
 * standard deviations over seeds, percentile bootstrap intervals, and two paired comparisons of two methods scored on
 * the same items: McNemar's exact test on one pair of runs, and a bootstrap over items and seeds.
 */
public final class Statistics {

    /** A two-sided interval at some confidence level. */
    public record Interval(double low, double high) {
        public boolean contains(double x) {
            return x >= low && x <= high;
        }
    }

    /** How many resamples a study's intervals use. */
    public static final int RESAMPLES = 10_000;

    private Statistics() {
    }

    public static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** The sample standard deviation (n - 1); NaN for fewer than two values. */
    public static double sd(double[] values) {
        if (values.length < 2) {
            return Double.NaN;
        }
        double m = mean(values);
        return Math.sqrt(Arrays.stream(values).map(x -> (x - m) * (x - m)).sum() / (values.length - 1));
    }

    /**
     * The percentile bootstrap interval of the mean of {@code values} at {@code level} (e.g. 0.95): the means of
     * {@code resamples} resamples with replacement drawn from {@code seed}, cut at (1 - level) / 2 and its
     * complement (the lower order statistic at each end, so a discrete distribution keeps its atoms).
     */
    public static Interval bootstrapMean(double[] values, int resamples, long seed, double level) {
        if (values.length == 0) {
            return new Interval(Double.NaN, Double.NaN);
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double sum = 0;
            for (int i = 0; i < values.length; i++) {
                sum += values[random.nextInt(values.length)];
            }
            means[r] = sum / values.length;
        }
        return percentiles(means, level);
    }

    /**
     * McNemar's exact two-sided test of two methods scored right or wrong on the same items: {@code onlyA} items
     * only the first got right, {@code onlyB} only the second. Under the null hypothesis each discordant item is a
     * fair coin, so p = min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2); 1 without discordant items.
     */
    public static double mcNemar(int onlyA, int onlyB) {
        int n = onlyA + onlyB;
        int k = Math.min(onlyA, onlyB);
        if (n == 0) {
            return 1;
        }
        // P(X <= k) summed in log space: n may be thousands of items
        double tail = 0;
        double logHalfN = n * Math.log(0.5);
        for (int i = 0; i <= k; i++) {
            tail += Math.exp(logChoose(n, i) + logHalfN);
        }
        return Math.min(1, 2 * tail);
    }

    /**
     * The bootstrap interval of the difference in accuracy, A minus B, of two methods scored on the same items by
     * several runs each: {@code a[s][i]} is whether method A's run s got item i right. Each resample draws the items
     * with replacement and, independently, the runs of each method, so the interval covers both the items' and the
     * seeds' variation; the items are paired (the same resampled items score both methods).
     */
    public static Interval pairedBootstrap(boolean[][] a, boolean[][] b, int resamples, long seed, double level) {
        int items = a[0].length;
        for (boolean[][] runs : new boolean[][][] {a, b}) {
            for (boolean[] run : runs) {
                if (run.length != items) {
                    throw new IllegalArgumentException("every run must score the same " + items + " items, got "
                            + run.length);
                }
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] differences = new double[resamples];
        int[] picked = new int[items];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < items; i++) {
                picked[i] = random.nextInt(items);
            }
            differences[r] = accuracy(a, picked, random) - accuracy(b, picked, random);
        }
        return percentiles(differences, level);
    }

    /** The mean accuracy over {@code runs} resampled with replacement, on the {@code picked} items. */
    private static double accuracy(boolean[][] runs, int[] picked, SplittableRandom random) {
        long right = 0;
        for (int s = 0; s < runs.length; s++) {
            boolean[] run = runs[random.nextInt(runs.length)];
            for (int item : picked) {
                right += run[item] ? 1 : 0;
            }
        }
        return (double) right / ((long) runs.length * picked.length);
    }

    private static Interval percentiles(double[] draws, double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("a confidence level is in (0, 1), got " + level);
        }
        double[] sorted = draws.clone();
        Arrays.sort(sorted);
        double tail = (1 - level) / 2;
        int low = (int) Math.floor(tail * (sorted.length - 1));
        int high = (int) Math.ceil((1 - tail) * (sorted.length - 1));
        return new Interval(sorted[low], sorted[high]);
    }

    private static double logChoose(int n, int k) {
        double out = 0;
        for (int i = 1; i <= k; i++) {
            out += Math.log(n - k + i) - Math.log(i);
        }
        return out;
    }
}
