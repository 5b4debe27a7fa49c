package dev.esactors.core.es;

/**
 * One population member's fitness and what it cost.
 *
 * @param reward       mean reward over the batch (NaN when the evaluation failed)
 * @param tokens       tokens generated
 * @param perturbNanos time spent perturbing and restoring (a low-rank pass's setup, shared evenly by its members)
 * @param decodeNanos  time spent decoding and scoring (a shared pass's, shared evenly)
 * @param error        why the evaluation failed, or empty
 * @param promptRewards the reward on each prompt of the batch, whose mean is {@code reward} (empty when the
 *                      fitness does not report them, or the evaluation failed): what per-prompt shaping needs
 */
public record MemberScore(double reward, long tokens, long perturbNanos, long decodeNanos, String error,
                          double[] promptRewards) {

    public MemberScore {
        promptRewards = promptRewards.clone();
    }

    /** A reward and its tokens, before timing is known. */
    public static MemberScore of(double reward, long tokens) {
        return of(reward, tokens, new double[0]);
    }

    /** A reward, its tokens and the rewards on each prompt it is the mean of, before timing is known. */
    public static MemberScore of(double reward, long tokens, double[] promptRewards) {
        return new MemberScore(reward, tokens, 0, 0, "", promptRewards);
    }

    /** A member whose evaluation threw {@code e}: no reward. */
    public static MemberScore failed(RuntimeException e) {
        return new MemberScore(Double.NaN, 0, 0, 0, e.toString(), new double[0]);
    }

    MemberScore timed(long perturb, long decode) {
        return new MemberScore(reward, tokens, perturb, decode, error, promptRewards);
    }

    @Override
    public double[] promptRewards() {
        return promptRewards.clone();
    }
}
