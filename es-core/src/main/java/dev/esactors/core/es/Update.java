package dev.esactors.core.es;

import java.util.Arrays;

/**
 * One iteration's update as it crosses the network and enters the journal: seeds and scalars only.
 * Applying it moves the master by alpha / N x sum_n coefficients[n] x signs[n] x eps(seeds[n]), in member order.
 *
 * @param iteration    the iteration this update concludes (the first is 0)
 * @param seeds        the members' noise seeds
 * @param signs        +1, or -1 for mirrored members
 * @param coefficients the shaped rewards
 * @param rewards      the raw rewards, kept for reporting (not used by the update)
 * @param alpha        the learning rate applied
 * @param sigma        the noise scale the rewards were measured at
 */
public record Update(long iteration, long[] seeds, int[] signs, double[] coefficients, double[] rewards,
                     double alpha, double sigma) {

    public Update {
        seeds = seeds.clone();
        signs = signs.clone();
        coefficients = coefficients.clone();
        rewards = rewards.clone();
        int n = seeds.length;
        if (n == 0 || signs.length != n || coefficients.length != n || rewards.length != n) {
            throw new IllegalArgumentException("update of iteration " + iteration + " needs as many seeds, signs, "
                    + "coefficients and rewards, got " + n + ", " + signs.length + ", " + coefficients.length
                    + ", " + rewards.length);
        }
        for (double c : coefficients) {
            if (!Double.isFinite(c)) {
                throw new IllegalArgumentException("update of iteration " + iteration + " has a non-finite coefficient");
            }
        }
    }

    public int populationSize() {
        return seeds.length;
    }

    @Override
    public long[] seeds() {
        return seeds.clone();
    }

    @Override
    public int[] signs() {
        return signs.clone();
    }

    @Override
    public double[] coefficients() {
        return coefficients.clone();
    }

    @Override
    public double[] rewards() {
        return rewards.clone();
    }

    public double meanReward() {
        return Arrays.stream(rewards).average().orElse(Double.NaN);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Update u && iteration == u.iteration && Arrays.equals(seeds, u.seeds)
                && Arrays.equals(signs, u.signs) && Arrays.equals(coefficients, u.coefficients)
                && Arrays.equals(rewards, u.rewards) && Double.compare(alpha, u.alpha) == 0
                && Double.compare(sigma, u.sigma) == 0;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(iteration) * 31 + Arrays.hashCode(seeds);
    }

    @Override
    public String toString() {
        return "Update[iteration=" + iteration + ", N=" + seeds.length + ", mean reward=" + meanReward() + "]";
    }
}
