package dev.esactors.rewards.catalog;

import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.arc.ArcTask;
import dev.esactors.rewards.conciseness.ConcisenessTask;
import dev.esactors.rewards.countdown.CountdownTask;
import dev.esactors.rewards.keyword.KeywordTask;
import dev.esactors.rewards.math.MathTask;
import dev.esactors.rewards.sudoku.SudokuTask;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The registry: tasks by name, built from string options (as a config file or the command line gives them). */
public final class Tasks {

    /** An option a task accepts, with its default and meaning. */
    public record Option(String name, String defaultValue, String description) {
    }

    /** A task name with its options and one-line description. */
    public record Entry(String name, List<Option> options, String description) {
    }

    private static final Map<String, List<Option>> OPTIONS = new LinkedHashMap<>();

    static {
        OPTIONS.put("countdown", List.of(new Option("variant", "paper", "paper (0.1 x format + answer) or tinyzero"),
                new Option("prompt", "instruct", "instruct (chat models) or compact (the countdown base models' format)"),
                new Option("generate", "0", "training problems to generate as the built-in items (seeded)"),
                new Option("exclude", "", "datasets, comma-separated, whose problems are never generated")));
        OPTIONS.put("math", List.of());
        OPTIONS.put("sudoku", List.of(
                new Option("prompt", "instruct", "instruct (chat models) or compact (sudoku4-base's format)"),
                new Option("partial", "0", "weight of partial credit for blanks right, in [0, 1)"),
                new Option("generate", "0", "training puzzles to generate as the built-in items (4x4, seeded)"),
                new Option("blanks", "8", "blanks per generated puzzle"),
                new Option("exclude", "", "a dataset whose puzzles are never generated (the evaluation set)")));
        OPTIONS.put("arc", List.of(new Option("partial", "0", "weight of partial credit for cell accuracy, in [0, 1)")));
        OPTIONS.put("conciseness", List.of(new Option("normalised", "false", "true: reward in [0, 1]")));
        OPTIONS.put("keyword", List.of(new Option("word", "happy", "the word to use"),
                new Option("cap", "8", "most occurrences counted per completion")));
    }

    private Tasks() {
    }

    /** Every task with its options and description. */
    public static List<Entry> list() {
        return OPTIONS.entrySet().stream()
                .map(e -> new Entry(e.getKey(), e.getValue(), create(e.getKey(), Map.of()).description()))
                .toList();
    }

    /** The task {@code name} with {@code options} (unknown names or options are errors listing the valid ones). */
    public static Task<? extends TaskItem> create(String name, Map<String, String> options) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        List<Option> known = OPTIONS.get(key);
        if (known == null) {
            throw new IllegalArgumentException("unknown task '" + name + "'; tasks: " + String.join(", ", OPTIONS.keySet()));
        }
        Set<String> allowed = new HashSet<>();
        known.forEach(o -> allowed.add(o.name()));
        for (String option : options.keySet()) {
            if (!allowed.contains(option)) {
                throw new IllegalArgumentException("task '" + key + "' has no option '" + option + "'; options: "
                        + (allowed.isEmpty() ? "none" : String.join(", ", allowed)));
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        known.forEach(o -> values.put(o.name(), options.getOrDefault(o.name(), o.defaultValue())));
        return switch (key) {
            case "countdown" -> new CountdownTask(switch (values.get("variant").toLowerCase(Locale.ROOT)) {
                case "paper" -> CountdownTask.Variant.PAPER;
                case "tinyzero" -> CountdownTask.Variant.TINYZERO;
                default -> throw new IllegalArgumentException("countdown option 'variant' must be paper or tinyzero, got '"
                        + values.get("variant") + "'");
            }, switch (values.get("prompt").toLowerCase(Locale.ROOT)) {
                case "instruct" -> CountdownTask.PromptStyle.INSTRUCT;
                case "compact" -> CountdownTask.PromptStyle.COMPACT;
                default -> throw new IllegalArgumentException("countdown option 'prompt' must be instruct or compact, "
                        + "got '" + values.get("prompt") + "'");
            }, (int) number(key, "generate", values.get("generate")), paths(values.get("exclude")));
            case "math" -> new MathTask();
            case "sudoku" -> new SudokuTask(switch (values.get("prompt").toLowerCase(Locale.ROOT)) {
                case "instruct" -> SudokuTask.PromptStyle.INSTRUCT;
                case "compact" -> SudokuTask.PromptStyle.COMPACT;
                default -> throw new IllegalArgumentException("sudoku option 'prompt' must be instruct or compact, got '"
                        + values.get("prompt") + "'");
            }, number(key, "partial", values.get("partial")), (int) number(key, "generate", values.get("generate")),
                    (int) number(key, "blanks", values.get("blanks")),
                    values.get("exclude").isBlank() ? null : java.nio.file.Path.of(values.get("exclude")));
            case "arc" -> new ArcTask(number(key, "partial", values.get("partial")));
            case "conciseness" -> new ConcisenessTask(bool(key, "normalised", values.get("normalised")));
            case "keyword" -> new KeywordTask(values.get("word"), (int) number(key, "cap", values.get("cap")));
            default -> throw new IllegalStateException("task '" + key + "' is listed but not built");
        };
    }

    /**
     * The task {@code name} typed for callers that pass it only items it loaded or parsed itself (a command line,
     * an evaluator): the one place where the item type is taken on trust.
     */
    @SuppressWarnings("unchecked") // every task scores exactly the items its own load/parseItem/builtIn return
    public static Task<TaskItem> createForOwnItems(String name, Map<String, String> options) {
        return (Task<TaskItem>) create(name, options);
    }

    /** Parses {@code key=value} pairs. */
    public static Map<String, String> options(List<String> pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("task option must be key=value, got '" + pair + "'");
            }
            out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return out;
    }

    private static double number(String task, String option, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(task + " option '" + option + "' must be a number, got '" + value + "'");
        }
    }

    private static List<java.nio.file.Path> paths(String list) {
        return java.util.Arrays.stream(list.split(",")).map(String::strip).filter(p -> !p.isEmpty())
                .map(java.nio.file.Path::of).toList();
    }

    private static boolean bool(String task, String option, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(task + " option '" + option + "' must be true or false, got '"
                    + value + "'");
        };
    }
}
