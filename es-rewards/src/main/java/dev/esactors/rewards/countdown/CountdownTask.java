package dev.esactors.rewards.countdown;

import com.fasterxml.jackson.databind.JsonNode;
import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.JsonLines;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * Countdown, scored as in the code of Qiu et al. 2025: reward = 0.1 x format + answer, in [0, 1.1].
 * The completion continues an assistant turn that starts with {@code <think>}, so the text judged is
 * {@code "<think>" + completion}. {@link Variant#TINYZERO} scores as TinyZero does: 1 for a right equation,
 * 0.1 for any other answer, 0 without an answer. {@link PromptStyle#COMPACT} is the format of the small base models
 * made here: the prompt {@code "Reach 82 with 3 7 25 50\n"}, answered by the bare equation on one line.
 */
public final class CountdownTask implements Task<CountdownItem> {

    /** Which scoring rules apply. */
    public enum Variant { PAPER, TINYZERO }

    /** How a problem is put to the model, and where its answer is read. */
    public enum PromptStyle {
        /** The paper's instruction; the answer inside {@code <answer></answer>} after a {@code <think>} block. */
        INSTRUCT,
        /** {@code "Reach T with a b c\n"}, answered by the equation alone, on the completion's first line. */
        COMPACT
    }

    /** The longest compact answer read: four two-digit numbers, three operators, three pairs of parentheses. */
    static final int COMPACT_ANSWER_CHARS = 24;

    static final String THINK_OPEN = "<think>";
    static final String THINK_CLOSE = "</think>";
    static final String ANSWER_OPEN = "<answer>";
    static final String ANSWER_CLOSE = "</answer>";

    private final Variant variant;
    private final PromptStyle style;
    private final int generate;
    private final List<Path> exclude;

    public CountdownTask(Variant variant) {
        this(variant, PromptStyle.INSTRUCT, 0, List.of());
    }

    /**
     * @param generate how many training problems {@link #builtIn()} generates ({@link CountdownSets}, seed 1234)
     * @param exclude  datasets whose problems are never generated (the evaluation sets)
     */
    public CountdownTask(Variant variant, PromptStyle style, int generate, List<Path> exclude) {
        if (generate < 0) {
            throw new IllegalArgumentException("generate must be >= 0, got " + generate);
        }
        this.variant = variant;
        this.style = style;
        this.generate = generate;
        this.exclude = List.copyOf(exclude);
    }

    /** The seed of the generated training problems. */
    public static final long TRAINING_SEED = 1234;

    /**
     * Generated training problems (option {@code generate}), none of them a problem (same numbers, same target) of
     * an {@code exclude} dataset, so that a run never trains on what it is evaluated on.
     */
    @Override
    public List<CountdownItem> builtIn() {
        if (generate == 0) {
            return List.of();
        }
        List<String> excluded = new ArrayList<>();
        exclude.forEach(file -> load(file).forEach(item -> excluded.add(CountdownSets.key(item))));
        return CountdownSets.generate(TRAINING_SEED, generate, excluded, "train");
    }

    @Override
    public String name() {
        return "countdown";
    }

    @Override
    public String description() {
        return "Countdown arithmetic: reach the target with each number once; reward 0.1 x format + answer in [0, 1.1] "
                + "(variant=tinyzero: 1 right, 0.1 wrong, 0 no answer); prompt=compact for the small base models";
    }

    @Override
    public List<CountdownItem> load(Path file) {
        return JsonLines.read(file, this::parseItem);
    }

    /** Reads the paper's layout (numbers, target, context, solution), d1's (input "a,b,c", output) or ours. */
    @Override
    public CountdownItem parseItem(JsonNode node, String where) {
        try {
            if (node.has("input")) {
                List<Integer> numbers = new ArrayList<>();
                for (String part : JsonLines.text(node, "input", where).split(",")) {
                    numbers.add(Integer.parseInt(part.trim()));
                }
                return new CountdownItem(JsonLines.text(node, "id", where, where), numbers,
                        Integer.parseInt(JsonLines.text(node, "output", where).trim()), "", "");
            }
            JsonNode numbersNode = node.get("numbers");
            if (numbersNode == null || !numbersNode.isArray()) {
                throw new DatasetException(where, "missing array field 'numbers' (or d1's 'input')");
            }
            List<Integer> numbers = new ArrayList<>();
            for (JsonNode n : numbersNode) {
                if (!n.canConvertToInt()) {
                    throw new DatasetException(where, "field 'numbers' must hold integers, got " + n);
                }
                numbers.add(n.asInt());
            }
            JsonNode target = node.get("target");
            if (target == null || !target.canConvertToInt() || !(target.isNumber() || target.isTextual())) {
                throw new DatasetException(where, "missing integer field 'target'");
            }
            return new CountdownItem(JsonLines.text(node, "id", where, where), numbers,
                    target.isTextual() ? Integer.parseInt(target.asText().trim()) : target.asInt(),
                    JsonLines.text(node, "context", where, ""), JsonLines.text(node, "solution", where, ""));
        } catch (NumberFormatException e) {
            throw new DatasetException(where, "not an integer: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new DatasetException(where, e.getMessage());
        }
    }

    @Override
    public String userPrompt(CountdownItem item) {
        if (style == PromptStyle.COMPACT) {
            return "Reach " + item.target() + " with " + item.numbers().stream().map(String::valueOf)
                    .collect(Collectors.joining(" ")) + "\n";
        }
        if (!item.context().isEmpty()) {
            return item.context();
        }
        String numbers = item.numbers().stream().map(String::valueOf).collect(Collectors.joining(", "));
        return "Using the numbers [" + numbers + "], create an equation that equals " + item.target()
                + ". You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. "
                + "Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, "
                + "for example <answer> (1 + 2) / 3 </answer>.";
    }

    @Override
    public String assistantPrefix(CountdownItem item) {
        return style == PromptStyle.COMPACT ? "" : "Let me solve this step by step.\n" + THINK_OPEN;
    }

    /** The item's listed solution, for the compact format (the instructed one would need the reasoning too). */
    @Override
    public String demonstration(CountdownItem item) {
        return style == PromptStyle.COMPACT ? item.solution() : "";
    }

    @Override
    public int answerTokens(CountdownItem item) {
        return style == PromptStyle.COMPACT ? COMPACT_ANSWER_CHARS : Task.super.answerTokens(item);
    }

    @Override
    public Score score(CountdownItem item, String completion) {
        if (style == PromptStyle.COMPACT) {
            return compactScore(item, completion);
        }
        String text = THINK_OPEN + completion;
        String answer = lastAnswer(text);
        AnswerCheck check = answer == null ? AnswerCheck.MISSING : check(answer, item);
        if (variant == Variant.TINYZERO) {
            return tinyZero(check, answer);
        }
        double format = formatReward(text);
        double reward = 0.1 * format + (check == AnswerCheck.RIGHT ? 1 : 0);
        return new Score(reward, format == 1.0, check == AnswerCheck.RIGHT, answer == null ? "" : answer.strip(),
                check.reason + "; format " + format);
    }

    /**
     * A compact answer: the completion's first line. Its format counts as right (1) when it is an expression of the
     * allowed characters; the rewards are then those of the variant, as for an instructed answer.
     */
    private Score compactScore(CountdownItem item, String completion) {
        int end = completion.indexOf('\n');
        String line = (end < 0 ? completion : completion.substring(0, end)).strip();
        if (line.isEmpty()) {
            return new Score(0, false, false, "", "no equation on the completion's first line");
        }
        AnswerCheck check = check(line, item);
        if (variant == Variant.TINYZERO) {
            return tinyZero(check, line);
        }
        boolean formed = check != AnswerCheck.CHARACTERS;
        double reward = 0.1 * (formed ? 1 : 0) + (check == AnswerCheck.RIGHT ? 1 : 0);
        return new Score(reward, formed, check == AnswerCheck.RIGHT, line, check.reason);
    }

    /** TinyZero's rule, in either format: 1 for a right equation, 0.1 for any other answer, 0 without one. */
    private static Score tinyZero(AnswerCheck check, String answer) {
        double reward = check == AnswerCheck.MISSING ? 0 : check == AnswerCheck.RIGHT ? 1.0 : 0.1;
        return new Score(reward, answer != null, check == AnswerCheck.RIGHT, answer == null ? "" : answer.strip(),
                check.reason);
    }

    /**
     * 1.0 when the text fully matches {@code ^<think>.*?</think>\n<answer>.*?</answer>$} (dot matching newlines, and
     * {@code $} allowing one final newline as in Python), else 0.1 for a think block plus 0.5 for an answer block.
     * Written with indexOf instead of a regex so that megabyte inputs take linear time.
     */
    static double formatReward(String text) {
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        String middle = THINK_CLOSE + "\n" + ANSWER_OPEN;
        if (body.startsWith(THINK_OPEN) && body.endsWith(ANSWER_CLOSE)) {
            int at = body.indexOf(middle, THINK_OPEN.length());
            if (at >= 0 && at + middle.length() <= body.length() - ANSWER_CLOSE.length()) {
                return 1.0;
            }
        }
        double reward = 0;
        int think = text.indexOf(THINK_OPEN);
        if (think >= 0 && text.indexOf(THINK_CLOSE, think + THINK_OPEN.length()) >= 0) {
            reward += 0.1;
        }
        int open = text.indexOf(ANSWER_OPEN);
        if (open >= 0 && text.indexOf(ANSWER_CLOSE, open + ANSWER_OPEN.length()) >= 0) {
            reward += 0.5;
        }
        return reward;
    }

    /** The content of the last complete {@code <answer>...</answer>} pair (non-greedy, like re.findall), or null. */
    static String lastAnswer(String text) {
        String last = null;
        int from = 0;
        while (true) {
            int open = text.indexOf(ANSWER_OPEN, from);
            if (open < 0) {
                return last;
            }
            int close = text.indexOf(ANSWER_CLOSE, open + ANSWER_OPEN.length());
            if (close < 0) {
                return last;
            }
            last = text.substring(open + ANSWER_OPEN.length(), close);
            from = close + ANSWER_CLOSE.length();
        }
    }

    private enum AnswerCheck {
        RIGHT("equation reaches the target"),
        MISSING("no <answer>...</answer>"),
        CHARACTERS("answer holds characters other than digits, + - * / ( ) and spaces"),
        NUMBERS("answer does not use each given number exactly once"),
        INVALID("answer is not a valid expression (syntax, nesting, size or division by zero)"),
        WRONG("equation does not reach the target");

        final String reason;

        AnswerCheck(String reason) {
            this.reason = reason;
        }
    }

    private static AnswerCheck check(String answer, CountdownItem item) {
        for (int i = 0; i < answer.length(); i++) {
            char c = answer.charAt(i);
            boolean allowed = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '*' || c == '/' || c == '('
                    || c == ')' || c == ' ';
            if (!allowed) {
                return AnswerCheck.CHARACTERS;
            }
        }
        List<Long> used = new ArrayList<>(Arithmetic.numbers(answer));
        List<Long> given = item.numbers().stream().map(Integer::longValue).sorted().collect(Collectors.toList());
        used.sort(null);
        if (!used.equals(given)) {
            return AnswerCheck.NUMBERS;
        }
        OptionalDouble value = Arithmetic.evaluate(answer);
        if (value.isEmpty()) {
            return AnswerCheck.INVALID;
        }
        return Math.abs(value.getAsDouble() - item.target()) < 1e-5 ? AnswerCheck.RIGHT : AnswerCheck.WRONG;
    }
}
