package dev.esactors.rewards;

/** Guards every reward: bounded input, and no exception escapes to the caller. */
public final class Rewards {

    /** Completions longer than this are not judged: real ones are tens of kilobytes at most. */
    public static final int MAX_COMPLETION_CHARS = 200_000;

    private Rewards() {
    }

    /**
     * {@code task.score(item, completion)}, or the task's worst reward with the reason if the input is too long or the
     * reward fails.
     */
    public static <I extends TaskItem> Score safeScore(Task<I> task, I item, String completion) {
        if (completion == null) {
            return Score.unjudged("no completion", task.worstReward());
        }
        if (completion.length() > MAX_COMPLETION_CHARS) {
            return Score.unjudged("completion of " + completion.length() + " characters exceeds the limit of "
                    + MAX_COMPLETION_CHARS, task.worstReward());
        }
        try {
            return task.score(item, completion);
        } catch (RuntimeException | StackOverflowError e) {
            return Score.unjudged("reward failed: " + e, task.worstReward());
        }
    }
}
