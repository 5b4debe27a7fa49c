package dev.esactors.core.es.update;

import dev.esactors.core.es.noise.Member;

import java.util.Arrays;
import java.util.List;

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
 * @param skipped      no signal: every member's reward was the same (or every evaluation failed), so applying the
 *                     update changes nothing (no step, no weight decay, no optimizer step); journalled as such
 * @param promptRewards per-prompt shaping's input: row n holds member n's reward on each prompt (empty rows where
 *                     its evaluation failed); no rows for the other shapings. Journalled and sent to evaluators,
 *                     which shape it as the coordinator did
 */
public record Update(long iteration, long[] seeds, int[] signs, double[] coefficients, double[] rewards,
                     double alpha, double sigma, boolean skipped, double[][] promptRewards) {

    private static final double[][] NO_PROMPTS = new double[0][];

    public Update {
        seeds = seeds.clone();
        signs = signs.clone();
        coefficients = coefficients.clone();
        rewards = rewards.clone();
        promptRewards = deepCopy(promptRewards);
        int n = seeds.length;
        if (promptRewards.length != 0 && promptRewards.length != n) {
            throw new IllegalArgumentException("update of iteration " + iteration + " has per-prompt rewards of "
                    + promptRewards.length + " members, not " + n);
        }
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

    /** An update that is applied (not {@link #skipped}). */
    public Update(long iteration, long[] seeds, int[] signs, double[] coefficients, double[] rewards, double alpha,
                  double sigma) {
        this(iteration, seeds, signs, coefficients, rewards, alpha, sigma, false, NO_PROMPTS);
    }

    /** An update without per-prompt rewards. */
    public Update(long iteration, long[] seeds, int[] signs, double[] coefficients, double[] rewards, double alpha,
                  double sigma, boolean skipped) {
        this(iteration, seeds, signs, coefficients, rewards, alpha, sigma, skipped, NO_PROMPTS);
    }

    /**
     * The update of {@code iteration} for {@code members} with raw {@code rewards} (indexed like the members):
     * failed members (NaN or infinite) count as the population's worst, the rest is shaped as configured. When
     * that leaves every member with the same reward, the iteration carries no signal and the update is
     * {@link #skipped}. Pure: the Reducer actor and the single-process loop share it.
     */
    public static Update fromRewards(UpdateSettings config, long iteration, List<Member> members, double[] rewards) {
        return fromRewards(config, iteration, members, rewards, NO_PROMPTS);
    }

    /**
     * As above, with each member's reward on each prompt ({@code promptRewards}, indexed like the members; an empty
     * row where an evaluation failed), which per-prompt shaping shapes and the other shapings ignore.
     */
    public static Update fromRewards(UpdateSettings config, long iteration, List<Member> members, double[] rewards,
                                     double[][] promptRewards) {
        if (rewards.length != members.size()) {
            throw new IllegalArgumentException("expected " + members.size() + " rewards, got " + rewards.length);
        }
        boolean perPrompt = config.shaping() == FitnessShaping.PER_PROMPT;
        if (perPrompt && promptRewards.length != members.size()) {
            throw new IllegalArgumentException("es.shaping = per-prompt needs each member's reward on each prompt; "
                    + "got them for " + promptRewards.length + " of " + members.size() + " members");
        }
        int failed = failedCount(rewards);
        double[] usable = RewardSanitizer.finite(rewards);
        double[][] usableRows = perPrompt && failed < rewards.length ? finiteColumns(promptRewards) : NO_PROMPTS;
        if (config.shuffledControl()) {
            long seed = config.schedule().seed(iteration, Integer.MAX_VALUE);
            usable = shuffled(usable, seed);
            usableRows = shuffledRows(usableRows, seed);
        }
        double[] coefficients = failed == rewards.length
                ? new double[rewards.length] // nothing to learn from: a zero update keeps iterations aligned
                : perPrompt ? FitnessShaping.perPrompt(usableRows) : config.shaping().apply(usable);
        long[] seeds = members.stream().mapToLong(Member::seed).toArray();
        int[] signs = members.stream().mapToInt(Member::sign).toArray();
        // No signal: every member alike (on every prompt, for per-prompt shaping)
        boolean tied = perPrompt && failed < rewards.length ? everyColumnTied(usableRows) : distinct(usable) == 1;
        return new Update(iteration, seeds, signs, coefficients, rewards, config.alphaAt(iteration), config.sigma(),
                tied, perPrompt ? promptRewards : NO_PROMPTS);
    }

    /**
     * The rows of {@code promptRewards} with an empty (failed) row, and NaN or infinite entries, replaced column by
     * column by the column's lowest finite reward, as {@link RewardSanitizer} does for whole members.
     */
    private static double[][] finiteColumns(double[][] promptRewards) {
        int width = Arrays.stream(promptRewards).mapToInt(r -> r.length).max().orElse(0);
        if (width == 0) {
            throw new IllegalArgumentException("es.shaping = per-prompt needs a fitness that reports each member's "
                    + "reward on each prompt (the task fitness does; a plain FitnessFunction does not)");
        }
        double[][] out = new double[promptRewards.length][width];
        for (int p = 0; p < width; p++) {
            double[] column = new double[promptRewards.length];
            for (int n = 0; n < column.length; n++) {
                double[] row = promptRewards[n];
                if (row.length != 0 && row.length != width) {
                    throw new IllegalArgumentException("member " + n + " has " + row.length + " prompt rewards, "
                            + "others " + width);
                }
                column[n] = row.length == 0 ? Double.NaN : row[p];
            }
            column = RewardSanitizer.finite(column);
            for (int n = 0; n < column.length; n++) {
                out[n][p] = column[n];
            }
        }
        return out;
    }

    private static boolean everyColumnTied(double[][] rows) {
        for (int p = 0; p < rows[0].length; p++) {
            for (double[] row : rows) {
                if (Double.compare(row[p], rows[0][p]) != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * This update with {@code skipped} as given: how a journal record written before updates could be skipped is
     * sent to evaluators (they rebuild updates from rewards, and must apply what the journal applied).
     */
    public Update withSkipped(boolean skipped) {
        return skipped == this.skipped ? this
                : new Update(iteration, seeds, signs, coefficients, rewards, alpha, sigma, skipped, promptRewards);
    }

    /** How many different raw rewards the members got (failed members count as one more value). */
    public int distinctRewards() {
        return distinct(rewards);
    }

    /** The share of members whose raw reward is the iteration's most common one (1: all tied). */
    public double tiedShare() {
        return tiedShare(rewards);
    }

    /** The share of {@code rewards} equal to their most common value (non-finite ones count as one value). */
    public static double tiedShare(double[] rewards) {
        java.util.Map<Long, Integer> counts = new java.util.HashMap<>();
        int most = 0;
        for (double r : rewards) {
            most = Math.max(most, counts.merge(Double.doubleToLongBits(Double.isFinite(r) ? r : Double.NaN), 1,
                    Integer::sum));
        }
        return (double) most / rewards.length;
    }

    /** How many different values {@code values} holds (non-finite ones count as one value). */
    public static int distinct(double[] values) {
        return (int) Arrays.stream(values).map(v -> Double.isFinite(v) ? v : Double.NaN)
                .mapToLong(Double::doubleToLongBits).distinct().count();
    }

    /** {@code values} permuted by a seeded Fisher-Yates shuffle: the shuffled-reward control's (ES's and GRPO's). */
    public static double[] shuffled(double[] values, long seed) {
        int[] order = shuffledOrder(values.length, seed);
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[order[i]];
        }
        return out;
    }

    /** {@code rows} permuted as {@link #shuffled} permutes values under the same seed (per-prompt rows). */
    private static double[][] shuffledRows(double[][] rows, long seed) {
        int[] order = shuffledOrder(rows.length, seed);
        double[][] out = new double[rows.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows[order[i]];
        }
        return out;
    }

    /** Where each of {@code n} places takes its value from under the seeded Fisher-Yates shuffle. */
    private static int[] shuffledOrder(int n, long seed) {
        int[] order = java.util.stream.IntStream.range(0, n).toArray();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static double[][] deepCopy(double[][] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i].clone();
        }
        return out;
    }

    @Override
    public double[][] promptRewards() {
        return deepCopy(promptRewards);
    }

    /** How many rewards are not finite (members whose evaluation failed). */
    public static int failedCount(double[] rewards) {
        int failed = 0;
        for (double r : rewards) {
            if (!Double.isFinite(r)) {
                failed++;
            }
        }
        return failed;
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
                && Double.compare(sigma, u.sigma) == 0 && skipped == u.skipped
                && Arrays.deepEquals(promptRewards, u.promptRewards);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(iteration) * 31 + Arrays.hashCode(seeds);
    }

    @Override
    public String toString() {
        return "Update[iteration=" + iteration + ", N=" + seeds.length + ", mean reward=" + meanReward()
                + (skipped ? ", skipped" : "") + "]";
    }
}
