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
        String text = completion.text != null ? completion.text : utf8(completion.file);
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

    /** The text of {@code file}; one that is not UTF-8 is an error naming it (not "Input length = 1"). */
    private static String utf8(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text", e);
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
        String text = item.json != null ? item.json : utf8(item.file);
        String where = item.json != null ? "--item" : item.file.toString();
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": the item must be a JSON object");
        }
        return t.parseItem(node, where);
    }
}
