package dev.esactors.train.study;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The study's statistics against cases worked out by hand, and the grid-edge flag. */
class StatisticsTest {

    @Test
    void meanAndSampleStandardDeviation() {
        assertEquals(2.0, Statistics.mean(new double[] {1, 2, 3}), 1e-15);
        assertEquals(1.0, Statistics.sd(new double[] {1, 2, 3}), 1e-15); // sqrt((1 + 0 + 1) / 2)
        assertTrue(Double.isNaN(Statistics.sd(new double[] {4})), "one seed has no spread");
    }

    @Test
    void theFTestOfEqualVariancesAgainstClosedFormsAndTables() {
        // F(2, 2)'s distribution function is f / (1 + f): variances 9 and 1 (sd 3 and 1, three seeds each) give
        // F = 9, P(F <= 9) = 0.9, two-sided p = 0.2
        Statistics.VarianceRatio f = Statistics.varianceRatio(new double[] {0, 3, 6}, new double[] {0, 1, 2});
        assertEquals(9, f.f(), 1e-12);
        assertEquals(0.2, f.p(), 1e-12);
        assertEquals(0.2, Statistics.varianceRatio(new double[] {0, 1, 2}, new double[] {0, 3, 6}).p(), 1e-12);
        // F(4, 4)'s upper 2.5% point is 9.6045 (tables): five seeds each, variances 9.6045 : 1, p = 0.05
        double[] b = {-2, -1, 0, 1, 2};
        double scale = Math.sqrt(9.6045);
        double[] a = java.util.Arrays.stream(b).map(v -> scale * v).toArray();
        assertEquals(0.05, Statistics.varianceRatio(a, b).p(), 1e-5);
        // F(1, 1) is the square of a Cauchy variable's ratio: P(F <= 1) = 1/2, so equal variances give p = 1
        assertEquals(1.0, Statistics.varianceRatio(new double[] {1, 2}, new double[] {5, 6}).p(), 1e-12);
        // I_x(a, b) at a = 1: 1 - (1 - x)^b
        assertEquals(1 - Math.pow(0.7, 3.5), Statistics.regularizedBeta(0.3, 1, 3.5), 1e-13);
        assertTrue(Double.isNaN(Statistics.varianceRatio(new double[] {1, 1}, new double[] {1, 2}).p()), "no spread");
        assertThrows(IllegalArgumentException.class, () -> Statistics.varianceRatio(new double[] {1},
                new double[] {1, 2}));
    }

    @Test
    void mcNemarIsTheExactBinomialTestOfTheDiscordantItems() {
        // 6 discordant items split 1 : 5: P(X <= 1) = (C(6,0) + C(6,1)) / 2^6 = 7/64, two-sided 14/64
        assertEquals(14.0 / 64, Statistics.mcNemar(1, 5), 1e-15);
        assertEquals(14.0 / 64, Statistics.mcNemar(5, 1), 1e-15);
        // 10 : 0: 2 / 2^10
        assertEquals(2.0 / 1024, Statistics.mcNemar(0, 10), 1e-15);
        // 3 : 3: 2 x 42/64 > 1, capped
        assertEquals(1.0, Statistics.mcNemar(3, 3), 1e-15);
        assertEquals(1.0, Statistics.mcNemar(0, 0), 1e-15);
        // thousands of items stay finite: 1,000 : 1,100 is about 1.7 standard deviations apart (p ~ 0.03)
        double p = Statistics.mcNemar(1000, 1100);
        assertTrue(p > 0.02 && p < 0.04, "p = " + p);
    }

    @Test
    void theBootstrapIntervalOfAMeanHasTheResamplingDistributionsPercentiles() {
        // The mean of 4 draws from {0, 0, 0, 1} is k/4 with k ~ Binomial(4, 1/4): P = 81, 108, 54, 12, 1 (/256),
        // cumulative 0.316, 0.738, 0.949, 0.996, 1. So the 2.5th percentile is 0 and the 97.5th is 0.75.
        Statistics.Interval i = Statistics.bootstrapMean(new double[] {0, 0, 0, 1}, 20_000, 7, 0.95);
        assertEquals(0.0, i.low());
        assertEquals(0.75, i.high());
        // the same seed gives the same interval; a constant has no spread
        assertEquals(i, Statistics.bootstrapMean(new double[] {0, 0, 0, 1}, 20_000, 7, 0.95));
        assertEquals(new Statistics.Interval(0.3, 0.3), Statistics.bootstrapMean(new double[] {0.3, 0.3, 0.3},
                1000, 1, 0.95));
        assertThrows(IllegalArgumentException.class, () -> Statistics.bootstrapMean(new double[] {1}, 10, 1, 1.5));
    }

    @Test
    void thePairedBootstrapResamplesItemsTogetherAndRunsApart() {
        // One run per method, differing on one item of four (A right, B wrong): the difference is the mean of four
        // resampled values of {1, 0, 0, 0}, whose percentiles are those of the case above.
        boolean[][] a = {{true, true, false, false}};
        boolean[][] b = {{false, true, false, false}};
        Statistics.Interval i = Statistics.pairedBootstrap(a, b, 20_000, 3, 0.95);
        assertEquals(0.0, i.low());
        assertEquals(0.75, i.high());
        // Paired: items both get right or both miss add no spread, however many there are.
        boolean[][] same = {{true, false, true, false, true, false}};
        assertEquals(new Statistics.Interval(0, 0), Statistics.pairedBootstrap(same, same, 1000, 3, 0.95));
        // Runs are resampled too: A's two seeds disagree completely, so its accuracy is 0, 1/2 or 1 by resample.
        boolean[][] seeds = {{true, true, true}, {false, false, false}};
        boolean[][] half = {{true, false, true}, {true, false, true}};
        Statistics.Interval spread = Statistics.pairedBootstrap(seeds, half, 20_000, 3, 0.95);
        assertTrue(spread.low() < -0.5 && spread.high() > 0.3, "seed variation widens the interval: " + spread);
        assertThrows(IllegalArgumentException.class, () -> Statistics.pairedBootstrap(a,
                new boolean[][] {{true}}, 10, 1, 0.95));
    }

    @Test
    void aChosenValueAtTheEndOfItsGridIsFlagged() {
        // 1-axis grid whose best value is its last (as written and by number)
        assertEquals("highest", StudySummary.edge(List.of("0.005", "0.01", "0.02"), "0.02"));
        assertEquals("", StudySummary.edge(List.of("0.005", "0.01", "0.02"), "0.01"));
        assertEquals("lowest", StudySummary.edge(List.of("0.005", "0.01", "0.02"), "0.005"));
        // by number, not as written: 3e-4 is the largest of these
        assertEquals("highest", StudySummary.edge(List.of("3e-4", "1e-4", "3e-5"), "3e-4"));
        // names keep the order they were written in
        assertEquals("lowest", StudySummary.edge(List.of("zscore", "centered-ranks", "per-prompt"), "zscore"));
        assertThrows(IllegalArgumentException.class, () -> StudySummary.edge(List.of("1", "2"), "3"));
    }
}
