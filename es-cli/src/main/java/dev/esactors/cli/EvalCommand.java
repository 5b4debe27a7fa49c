package dev.esactors.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Torch;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.eval.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code es-actors eval}: accuracy of one or more models on a task's items, side by side. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Greedy accuracy of models on a task (several --model give a side-by-side table).")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR", description = "model directory, or 'embedded' (stories260K); repeat to compare (default: embedded)")
    List<Path> models = new ArrayList<>();

    @Option(names = "--task", required = true, description = "task name (see: es-actors tasks)")
    String task;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "task option; repeatable")
    List<String> options = new ArrayList<>();

    @Option(names = "--data", paramLabel = "PATH", description = "dataset file (default: the task's built-in items)")
    Path data;

    @Option(names = "--limit", defaultValue = "0", description = "evaluate the first K items only (0: all)")
    int limit;

    @Option(names = "--batch", defaultValue = "64", description = "prompts decoded together (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--template", defaultValue = "raw", description = "raw, chatml or llama3 (default: ${DEFAULT-VALUE})")
    String template;

    @Option(names = "--out", defaultValue = "eval-results.jsonl", description = "per-item results (default: ${DEFAULT-VALUE})")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Task<TaskItem> t = Tasks.createForOwnItems(task, Tasks.options(options));
        List<TaskItem> items = new ArrayList<>(data == null ? t.builtIn() : t.load(data));
        if (items.isEmpty()) {
            throw new IllegalArgumentException("task '" + t.name() + "' has no built-in items: give --data");
        }
        if (limit > 0 && limit < items.size()) {
            items = items.subList(0, limit);
        }
        if (batch < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("--batch and --max-new-tokens must be >= 1");
        }
        ChatTemplate chat = ChatTemplate.parse(template);
        Torch.load();
        List<Path> dirs = models.isEmpty() ? List.of(Path.of("embedded")) : models;
        PrintWriter printer = spec.commandLine().getOut();
        List<Evaluation.Summary> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (Path named : dirs) {
                boolean embedded = named.toString().equals("embedded");
                Path dir = embedded ? EmbeddedModel.directory() : named;
                Decoder decoder = ModelLoader.load(dir, DeviceSpec.CPU, DType.F32);
                try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
                    rows.add(Evaluation.run(embedded ? "embedded (stories260K)" : dir.toString(), decoder, tokenizer, t, items, chat, "", batch, maxNewTokens,
                            r -> write(writer, json, r)));
                }
            }
        }
        printer.printf("%-48s %6s %9s %12s %8s %10s%n", "model", "items", "accuracy", "mean reward", "format", "tokens/s");
        for (Evaluation.Summary s : rows) {
            printer.printf(Locale.ROOT, "%-48s %6d %8.1f%% %12.4f %7.1f%% %10.0f%n", s.model(), s.items(),
                    100 * s.accuracy(), s.meanReward(), 100 * s.formatRate(), s.tokensPerSecond());
        }
        for (Evaluation.Summary s : rows) {
            if (s.overContext() > 0) {
                printer.printf("note: %s: %d of %d prompts do not fit the model's context with --max-new-tokens; "
                        + "they scored as empty completions%n", s.model(), s.overContext(), s.items());
            }
        }
        printer.println("per-item results: " + out);
        printer.flush();
        return 0;
    }

    private static void write(BufferedWriter writer, ObjectMapper json, Evaluation.ItemResult r) {
        ObjectNode node = json.createObjectNode();
        node.put("model", r.model());
        node.put("id", r.id());
        node.put("completion", r.completion());
        node.put("reward", r.score().reward());
        node.put("answerOk", r.score().answerOk());
        node.put("formatOk", r.score().formatOk());
        node.put("extracted", r.score().extracted());
        node.put("reason", r.score().reason());
        try {
            writer.write(node.toString());
            writer.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
