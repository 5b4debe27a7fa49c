package dev.esactors.core.es.update;

/** Makes a population's rewards usable for shaping without hiding that some were not. */
final class RewardSanitizer {

    private RewardSanitizer() {
    }

    /**
     * A copy of {@code rewards} in which every NaN or infinite reward (a failed or broken member) is replaced by
     * the lowest finite reward, so it pulls the update away from its noise instead of poisoning every coefficient.
     * All zeros when no reward is finite.
     */
    static double[] finite(double[] rewards) {
        double worst = Double.POSITIVE_INFINITY;
        for (double r : rewards) {
            if (Double.isFinite(r)) {
                worst = Math.min(worst, r);
            }
        }
        double fill = Double.isFinite(worst) ? worst : 0;
        double[] out = rewards.clone();
        for (int i = 0; i < out.length; i++) {
            if (!Double.isFinite(out[i])) {
                out[i] = fill;
            }
        }
        return out;
    }
}
