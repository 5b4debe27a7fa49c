package dev.esactors.rewards.math;

/**
 * Finds the final answer of a solution: the content of the last {@code \boxed{...}} or {@code \fbox{...}} (braces
 * balanced, nesting allowed), or {@code \boxed 5}, else the text after the last "final answer is".
 */
public final class Boxed {

    /** Longest answer taken: anything beyond is not a final answer but runaway text. */
    static final int MAX_ANSWER = 2_000;

    private Boxed() {
    }

    /** The final answer, or null when there is none. Linear in the text length. */
    public static String last(String text) {
        String boxed = lastCommand(text);
        if (boxed != null) {
            return boxed;
        }
        return finalAnswerIs(text);
    }

    /** Whether the text has a {@code \boxed} or {@code \fbox} answer (not only a "final answer is" fallback). */
    public static boolean hasBox(String text) {
        return lastCommand(text) != null;
    }

    private static String lastCommand(String text) {
        int at = Math.max(text.lastIndexOf("\\boxed"), text.lastIndexOf("\\fbox"));
        for (int tries = 0; at >= 0 && tries < 20; tries++) { // bounded: hostile text may hold thousands of boxes
            int start = at + (text.startsWith("\\boxed", at) ? "\\boxed".length() : "\\fbox".length());
            String content = argument(text, start);
            if (content != null) {
                return content;
            }
            // an unterminated box: look for an earlier complete one
            int before = at - 1;
            at = before < 0 ? -1 : Math.max(text.lastIndexOf("\\boxed", before), text.lastIndexOf("\\fbox", before));
        }
        return null;
    }

    /** The braced argument at {@code start}, or the word after {@code \boxed }; null if unbalanced or too long. */
    private static String argument(String text, int start) {
        int i = start;
        if (i < text.length() && text.charAt(i) == '{') {
            int depth = 0;
            for (int k = i; k < text.length() && k - i <= MAX_ANSWER; k++) {
                char c = text.charAt(k);
                if (c == '\\' && k + 1 < text.length()) {
                    k++; // an escaped brace does not count
                    continue;
                }
                if (c == '{') {
                    depth++;
                } else if (c == '}') {
                    depth--;
                    if (depth == 0) {
                        return text.substring(i + 1, k).strip();
                    }
                }
            }
            return null;
        }
        if (i < text.length() && text.charAt(i) == ' ') {
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            int end = i;
            while (end < text.length() && end - i < MAX_ANSWER && !Character.isWhitespace(text.charAt(end))
                    && text.charAt(end) != '$') {
                end++;
            }
            return end > i ? text.substring(i, end) : null;
        }
        return null;
    }

    private static String finalAnswerIs(String text) {
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        int at = lower.lastIndexOf("final answer is");
        if (at < 0) {
            return null;
        }
        String rest = text.substring(at + "final answer is".length()).strip();
        if (rest.startsWith(":")) {
            rest = rest.substring(1).strip();
        }
        if (rest.startsWith("$")) {
            int close = rest.indexOf('$', 1);
            if (close > 0) {
                return rest.substring(1, close).strip();
            }
        }
        int end = 0;
        while (end < rest.length() && end < MAX_ANSWER && rest.charAt(end) != '\n'
                && !(rest.charAt(end) == '.' && (end + 1 == rest.length() || Character.isWhitespace(rest.charAt(end + 1))))) {
            end++;
        }
        String answer = rest.substring(0, end).strip();
        return answer.isEmpty() ? null : answer;
    }
}
