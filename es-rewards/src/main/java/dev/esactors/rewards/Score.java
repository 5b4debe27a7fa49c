package dev.esactors.rewards;

/**
 * A reward with the reasons behind it.
 *
 * @param reward    the reward, in the range the task documents
 * @param formatOk  the completion had the expected shape (tags, a boxed answer, a grid)
 * @param answerOk  the answer was right
 * @param extracted the answer as read from the completion (empty if none)
 * @param reason    why the reward is what it is, in a few words
 */
public record Score(double reward, boolean formatOk, boolean answerOk, String extracted, String reason) {

    public Score {
        if (!Double.isFinite(reward)) {
            throw new IllegalArgumentException("a reward must be finite, got " + reward);
        }
    }

    /** A zero reward for a completion that cannot be judged. */
    public static Score unjudged(String reason) {
        return unjudged(reason, 0);
    }

    /** A completion that could not be judged, scored {@code worst} (its task's lowest reward). */
    public static Score unjudged(String reason, double worst) {
        return new Score(worst, false, false, "", reason);
    }
}
