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

    /** An F-test's statistic (the ratio of two sample variances) and its two-sided p. */
    public record VarianceRatio(double f, double p) {
    }

    /**
     * The F-test of equal variances: the ratio of {@code a}'s sample variance to {@code b}'s and its two-sided p under
     * normal samples (twice the smaller tail of Fisher's F with n_a - 1 and n_b - 1 degrees of freedom; NaN when a
     * sample has no spread, where the test says nothing). For the claim that one method varies less from seed to seed:
     * with five seeds each it tells only ratios of several-fold.
     */
    public static VarianceRatio varianceRatio(double[] a, double[] b) {
        if (a.length < 2 || b.length < 2) {
            throw new IllegalArgumentException("a variance needs two seeds or more, got " + a.length + " and "
                    + b.length);
        }
        double f = Math.pow(sd(a), 2) / Math.pow(sd(b), 2);
        if (!(f > 0) || Double.isInfinite(f)) { // a sample without spread: no p (NaN)
            return new VarianceRatio(f, Double.NaN);
        }
        double d1 = a.length - 1;
        double d2 = b.length - 1;
        double below = regularizedBeta(d1 * f / (d1 * f + d2), d1 / 2, d2 / 2);
        return new VarianceRatio(f, Math.min(1, 2 * Math.min(below, 1 - below)));
    }

    /** I_x(a, b), by the continued fraction (modified Lentz), on the side of x where it converges fast. */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0 || x >= 1) {
            return x <= 0 ? 0 : 1;
        }
        if (x > (a + 1) / (a + b + 2)) {
            return 1 - regularizedBeta(1 - x, b, a);
        }
        double front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b)) / a;
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 500; m++) {
            for (int odd = 0; odd < 2; odd++) {
                double numerator = odd == 0 ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                        : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
                d = 1 + numerator * d;
                d = 1 / (Math.abs(d) < tiny ? tiny : d);
                c = 1 + numerator / c;
                c = Math.abs(c) < tiny ? tiny : c;
                h *= d * c;
                if (odd == 1 && Math.abs(d * c - 1) < 1e-15) {
                    return front * h;
                }
            }
        }
        return front * h;
    }

    private static double logBeta(double a, double b) {
        return logGamma(a) + logGamma(b) - logGamma(a + b);
    }

    /** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
    private static double logGamma(double x) {
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < g.length; i++) {
            sum += g[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
    }

    private static double logChoose(int n, int k) {
        double out = 0;
        for (int i = 1; i <= k; i++) {
            out += Math.log(n - k + i) - Math.log(i);
        }
        return out;
    }
}
