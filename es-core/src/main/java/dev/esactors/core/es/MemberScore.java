package dev.esactors.core.es;

/**
 * One population member's fitness and what it cost.
 *
 * @param reward       mean reward over the batch (NaN when the evaluation failed)
 * @param tokens       tokens generated
 * @param perturbNanos time spent perturbing and restoring (a low-rank pass's setup, shared evenly by its members)
 * @param decodeNanos  time spent decoding and scoring (a shared pass's, shared evenly)
 * @param error        why the evaluation failed, or empty
 */
public record MemberScore(double reward, long tokens, long perturbNanos, long decodeNanos, String error) {

    /** A reward and its tokens, before timing is known. */
    public static MemberScore of(double reward, long tokens) {
        return new MemberScore(reward, tokens, 0, 0, "");
    }

    /** A member whose evaluation threw {@code e}: no reward. */
    public static MemberScore failed(RuntimeException e) {
        return new MemberScore(Double.NaN, 0, 0, 0, e.toString());
    }

    MemberScore timed(long perturb, long decode) {
        return new MemberScore(reward, tokens, perturb, decode, error);
    }
}
