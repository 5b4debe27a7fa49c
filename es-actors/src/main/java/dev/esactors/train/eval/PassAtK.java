package dev.esactors.train.eval;

/**
 * The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on Code"): with n
 * samples of an item of which c are right, the chance that k samples drawn without replacement hold a right one is
 * 1 - C(n - c, k) / C(n, k). Computed as their product form, which stays in [0, 1] without large binomials.
 */
public final class PassAtK {

    private PassAtK() {
    }

    /** pass@k of one item with {@code right} of {@code n} samples right. */
    public static double estimate(int n, int right, int k) {
        if (n < 1 || right < 0 || right > n || k < 1 || k > n) {
            throw new IllegalArgumentException("pass@k needs 1 <= k <= n and 0 <= right <= n, got n=" + n
                    + " right=" + right + " k=" + k);
        }
        if (n - right < k) {
            return 1; // every draw of k holds a right sample
        }
        double allWrong = 1; // C(n - c, k) / C(n, k) = prod_{i = n - c + 1}^{n} (1 - k / i)
        for (int i = n - right + 1; i <= n; i++) {
            allWrong *= 1 - (double) k / i;
        }
        return 1 - allWrong;
    }

    /** pass@1 ... pass@n of one item: element k - 1 is pass@k. */
    public static double[] curve(int n, int right) {
        double[] out = new double[n];
        for (int k = 1; k <= n; k++) {
            out[k - 1] = estimate(n, right, k);
        }
        return out;
    }
}
