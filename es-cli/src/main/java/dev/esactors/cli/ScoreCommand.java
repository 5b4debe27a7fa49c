package dev.esactors.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.Rewards;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code es-actors score}: the reward of one completion for one item, with its details, as JSON. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score a completion for a task item; prints the reward and its details as JSON.")
final class ScoreCommand implements Callable<Integer> {

    @Option(names = "--task", required = true, description = "task name (see: es-actors tasks)")
    String task;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "task option; repeatable")
    List<String> options = new ArrayList<>();

    @ArgGroup(exclusive = true, multiplicity = "1")
    ItemSource item;

    @ArgGroup(exclusive = true, multiplicity = "1")
    CompletionSource completion;

    /** Where the item comes from. */
    static final class ItemSource {
        @Option(names = "--item", paramLabel = "JSON", description = "the item as JSON")
        String json;

        @Option(names = "--item-file", paramLabel = "FILE", description = "a file holding the item as JSON")
        Path file;

        @Option(names = "--dataset", paramLabel = "FILE", description = "a dataset file of the task (with --index)")
        Path dataset;
    }

    /** Where the completion comes from. */
    static final class CompletionSource {
        @Option(names = "--completion", paramLabel = "TEXT", description = "the completion text")
        String text;

        @Option(names = "--completion-file", paramLabel = "FILE", description = "a file holding the completion")
        Path file;
    }

    @Option(names = "--index", defaultValue = "0", description = "item index in --dataset (default: ${DEFAULT-VALUE})")
    int index;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Task<TaskItem> t = Tasks.createForOwnItems(task, Tasks.options(options));
        TaskItem parsed = item(t);
        // Past the cap a completion scores as the worst anyway (Rewards.safeScore): read no further than that.
        String text = completion.text != null ? completion.text : utf8(completion.file,
                Rewards.MAX_COMPLETION_CHARS + 1);
        Score score = Rewards.safeScore(t, parsed, text);
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.put("task", t.name());
        out.put("item", parsed.id());
        out.put("reward", score.reward());
        out.put("formatOk", score.formatOk());
        out.put("answerOk", score.answerOk());
        out.put("extracted", score.extracted());
        out.put("reason", score.reason());
        PrintWriter writer = spec.commandLine().getOut();
        writer.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        writer.flush();
        return 0;
    }

    /** An item is a few fields; a file or text beyond this is not one (and reading it whole could fill memory). */
    private static final int MAX_ITEM_CHARS = 1 << 20;
    /** Deeper JSON would overflow the parser's stack (Jackson 2.11 has no depth limit of its own). */
    private static final int MAX_DEPTH = 500;

    /**
     * The first {@code maxChars} characters of {@code file} (all of a shorter one, never reading past them, so that
     * /dev/zero or a huge file cannot fill memory); one that is not UTF-8 is an error naming it.
     */
    private static String utf8(Path file, int maxChars) throws IOException {
        try (java.io.Reader reader = new java.io.InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder())) {
            char[] buffer = new char[8192];
            StringBuilder out = new StringBuilder();
            int n;
            while (out.length() < maxChars && (n = reader.read(buffer, 0, Math.min(buffer.length,
                    maxChars - out.length()))) > 0) {
                out.append(buffer, 0, n);
            }
            return out.toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text", e);
        }
    }

    /** Refuses JSON nested deeper than {@link #MAX_DEPTH} (brackets outside strings), naming {@code where}. */
    private static void checkDepth(String text, String where) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (++depth > MAX_DEPTH) {
                    throw new IllegalArgumentException(where + ": JSON nested more than " + MAX_DEPTH + " levels "
                            + "deep is not an item");
                }
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
    }

    private TaskItem item(Task<TaskItem> t) throws IOException {
        if (item.dataset != null) {
            List<TaskItem> items = t.load(item.dataset);
            if (index < 0 || index >= items.size()) {
                throw new IllegalArgumentException(item.dataset + " has " + items.size() + " items; --index " + index
                        + " is out of range");
            }
            return items.get(index);
        }
        String text = item.json != null ? item.json : utf8(item.file, MAX_ITEM_CHARS + 1);
        String where = item.json != null ? "--item" : item.file.toString();
        if (text.length() > MAX_ITEM_CHARS) {
            throw new IllegalArgumentException(where + ": more than " + MAX_ITEM_CHARS + " characters is not an item");
        }
        checkDepth(text, where);
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            // Jackson's message quotes the input, newlines and all: the error stays one line of at most 300 chars
            String reason = e.getMessage().replaceAll("\\s+", " ");
            throw new IllegalArgumentException(where + ": not valid JSON: " + (reason.length() > 300
                    ? reason.substring(0, 300) + "..." : reason));
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": the item must be a JSON object");
        }
        return t.parseItem(node, where);
    }
}
