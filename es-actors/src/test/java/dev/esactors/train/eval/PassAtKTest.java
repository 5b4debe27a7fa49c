package dev.esactors.train.eval;

import dev.esactors.rewards.Score;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** pass@k, maj@K and their sums over items, against closed forms and hand counts. */
class PassAtKTest {

    @Test
    void theEstimatorEqualsTheBinomialClosedForm() {
        for (int n = 1; n <= 20; n++) {
            for (int c = 0; c <= n; c++) {
                for (int k = 1; k <= n; k++) {
                    double closed = 1 - ratio(binomial(n - c, k), binomial(n, k));
                    assertEquals(closed, PassAtK.estimate(n, c, k), 1e-12, "n=" + n + " c=" + c + " k=" + k);
                }
            }
        }
        assertEquals(0.5, PassAtK.estimate(4, 1, 2), 1e-15); // 1 - C(3,2)/C(4,2) = 1 - 3/6
        assertEquals(0.25, PassAtK.estimate(8, 2, 1), 1e-15); // pass@1 is c/n
        assertEquals(1.0, PassAtK.estimate(8, 1, 8));
        assertEquals(0.0, PassAtK.estimate(8, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(4, 1, 5));
    }

    @Test
    void tallyOfHandMadeCountsSummarisesToTheMeanOfTheEstimates() {
        // three items with 4 samples each, 0, 1 and 3 right; two chunks (items 0-1, item 2) added in order
        int[] right = {0, 1, 3};
        Evaluation.Tally first = tally(new int[] {0, 1}, 4, 1, 1);
        Evaluation.Tally second = tally(new int[] {3}, 4, 1, 1);
        Evaluation.Summary s = first.plus(second).summary("m", 1);
        assertEquals(4, s.samples());
        assertEquals(4.0 / 12, s.sampleAccuracy(), 1e-15);
        assertEquals(2.0 / 3, s.majority(), 1e-15);
        for (int k = 1; k <= 4; k++) {
            double mean = 0;
            for (int c : right) {
                mean += 1 - ratio(binomial(4 - c, k), binomial(4, k));
            }
            assertEquals(mean / 3, s.passAt(k), 1e-12, "pass@" + k);
        }
        assertEquals(s.sampleAccuracy(), s.passAt(1), 1e-15);
        assertEquals(2.0 / 3, s.passAt(4), 1e-15, "two of three items have a right sample");
        assertThrows(IllegalArgumentException.class, () -> first.plus(tally(new int[] {1}, 2, 0, 0)),
                "tallies of different sample counts do not add");
    }

    @Test
    void theMajorityIsTheMostFrequentExtractedAnswer() {
        Evaluation.Sample right = sample("42", true);
        Evaluation.Sample wrong = sample("41", false);
        Evaluation.Sample none = sample("", false);
        assertTrue(Evaluation.majorityRight(new Evaluation.Sample[] {wrong, right, right, none}));
        assertFalse(Evaluation.majorityRight(new Evaluation.Sample[] {right, wrong, wrong, none}));
        assertFalse(Evaluation.majorityRight(new Evaluation.Sample[] {none, none, none}), "nobody voted");
        assertTrue(Evaluation.majorityRight(new Evaluation.Sample[] {none, none, none, right}),
                "empty answers do not outvote one");
        // a tie goes to the answer that reached the count first
        assertTrue(Evaluation.majorityRight(new Evaluation.Sample[] {right, wrong, right, wrong}));
        assertFalse(Evaluation.majorityRight(new Evaluation.Sample[] {wrong, right, wrong, right}));
    }

    private static Evaluation.Tally tally(int[] right, int samples, int greedyRight, int majority) {
        double[] pass = new double[samples];
        int sampled = 0;
        for (int c : right) {
            sampled += c;
            for (int k = 1; k <= samples; k++) {
                pass[k - 1] += PassAtK.estimate(samples, c, k);
            }
        }
        return new Evaluation.Tally(right.length, greedyRight, right.length, 0, 0, 0, samples, sampled, majority, true,
                pass);
    }

    private static Evaluation.Sample sample(String extracted, boolean ok) {
        return new Evaluation.Sample("...", new Score(ok ? 1 : 0, true, ok, extracted, ""));
    }

    private static BigInteger binomial(int n, int k) {
        if (k < 0 || k > n) {
            return BigInteger.ZERO;
        }
        BigInteger r = BigInteger.ONE;
        for (int i = 1; i <= k; i++) {
            r = r.multiply(BigInteger.valueOf(n - k + i)).divide(BigInteger.valueOf(i));
        }
        return r;
    }

    private static double ratio(BigInteger a, BigInteger b) {
        return new java.math.BigDecimal(a).divide(new java.math.BigDecimal(b), java.math.MathContext.DECIMAL64)
                .doubleValue();
    }

}
