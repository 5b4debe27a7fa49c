package dev.esactors.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.Torch;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.RunReport;
import dev.esactors.train.eval.EvalModel;
import dev.esactors.train.config.EvalSampling;
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
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code es-actors eval}: accuracy of one or more models on a task's items, side by side. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Accuracy of models on a task: greedy pass@1, and with --samples K also pass@k, maj@K and the "
                + "accuracy over samples (several --model give a side-by-side table).")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR", description = "a Hugging Face model directory, 'embedded' "
            + "(stories260K), a run directory (its export/, else its newest checkpoint), a run's best/, or a "
            + "checkpoint directory; repeat to compare (default: embedded)")
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

    @Option(names = "--max-new-tokens", description = "tokens per answer (default: the longest answer the task "
            + "needs, 256 for open-ended tasks, clamped so that the longest prompt fits the model's context)")
    Integer maxNewTokens;

    @Option(names = "--samples", defaultValue = "0", paramLabel = "K",
            description = "answers sampled per item besides the greedy one, for pass@k and maj@K (default: 0)")
    int samples;

    @Option(names = "--temperature", defaultValue = "0.7", description = "sampling temperature (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus mass (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed; with the same --batch, a run's rounds "
            + "with eval.seed give the same samples (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--template", defaultValue = "raw", description = "raw, chatml or llama3 (default: ${DEFAULT-VALUE})")
    String template;

    @Option(names = "--out", defaultValue = "eval-results.jsonl", description = "per-item results (default: ${DEFAULT-VALUE})")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0 (0: all items), got " + limit);
        }
        Task<TaskItem> t = Tasks.createForOwnItems(task, Tasks.options(options));
        List<TaskItem> items = new ArrayList<>(data == null ? t.builtIn() : t.load(data));
        if (items.isEmpty()) {
            throw new IllegalArgumentException(data == null ? "task '" + t.name() + "' has no built-in items: give "
                    + "--data" : data + " holds no items");
        }
        if (limit > 0 && limit < items.size()) {
            items = items.subList(0, limit);
        }
        if (batch < 1 || (maxNewTokens != null && maxNewTokens < 1)) {
            throw new IllegalArgumentException("--batch and --max-new-tokens must be >= 1");
        }
        checkOut(out);
        dev.esactors.core.model.SamplingConfig.checkTopP(topP, "--top-p"); // named as the user typed it
        if (samples > 0 && !(temperature >= dev.esactors.core.model.SamplingConfig.MIN_TEMPERATURE
                && Double.isFinite(temperature))) {
            throw new IllegalArgumentException("--temperature must be a finite number >= "
                    + dev.esactors.core.model.SamplingConfig.MIN_TEMPERATURE + " to sample, got " + temperature);
        }
        if (samples < 0 || samples > EvalSampling.MAX_SAMPLES) {
            throw new IllegalArgumentException("--samples must be in [0, " + EvalSampling.MAX_SAMPLES + "], got "
                    + samples);
        }
        EvalSampling sampling = new EvalSampling(samples, temperature, topP, seed);
        ChatTemplate chat = ChatTemplate.parse(template);
        Torch.load();
        List<Path> dirs = models.isEmpty() ? List.of(Path.of("embedded")) : models;
        PrintWriter printer = spec.commandLine().getOut();
        List<Evaluation.Summary> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        // Written beside --out and moved over it at the end: a model that fails to load (or any other error) leaves
        // the results of an earlier evaluation in place.
        Path partial = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (BufferedWriter writer = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            for (Path named : dirs) {
                EvalModel.Loaded model = EvalModel.load(named, note -> printer.println("note: " + note));
                try (HfTokenizer tokenizer = HfTokenizer.load(model.tokenizerDir())) {
                    int tokens = maxNewTokens != null
                            ? NewTokens.checked(maxNewTokens, model.decoder().config().maxPositions(), model.label())
                            : defaultMaxNewTokens(model, tokenizer, t, items, chat, printer);
                    rows.add(Evaluation.run(model.label(), model.decoder(), tokenizer, t, items,
                            new Evaluation.Settings(chat, "", batch, tokens, sampling), r -> write(writer, json, r)));
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            if (e instanceof IOException io) {
                throw dev.esactors.core.io.IoErrors.failure("cannot write --out " + out, io);
            }
            throw e;
        }
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        printTable(printer, rows, sampling);
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

    /** Refuses an --out that cannot be written before any model is loaded, naming the file and why. */
    private static void checkOut(Path out) {
        Path parent = out.toAbsolutePath().getParent();
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a directory; give a file name");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("--out " + out + ": directory " + parent + " does not exist");
        }
        if (!Files.isWritable(parent) || (Files.exists(out) && !Files.isWritable(out))) {
            throw new IllegalArgumentException("--out " + out + ": permission denied (cannot write "
                    + (Files.exists(out) ? out : parent) + ")");
        }
    }

    /** The longest answer the task needs, clamped so that the longest prompt still fits the model's context. */
    private static int defaultMaxNewTokens(EvalModel.Loaded model, HfTokenizer tokenizer, Task<TaskItem> task,
                                           List<TaskItem> items, ChatTemplate chat, PrintWriter printer) {
        int answer = 1;
        int longestPrompt = 0;
        for (TaskItem item : items) {
            answer = Math.max(answer, task.answerTokens(item));
            longestPrompt = Math.max(longestPrompt, tokenizer.encode(chat.render("", task, item)).length);
        }
        int context = model.decoder().config().maxPositions();
        int tokens = Math.max(1, Math.min(answer, context - longestPrompt));
        printer.printf("max new tokens: %d (%s)%n", tokens, tokens == answer
                ? "the longest answer " + task.name() + " needs"
                : "the longest prompt, " + longestPrompt + " tokens, leaves that much of the model's context of "
                        + context + "; the task's answers may need " + answer);
        return tokens;
    }

    private static void printTable(PrintWriter printer, List<Evaluation.Summary> rows, EvalSampling sampling) {
        int k = sampling.samples();
        int width = rows.stream().mapToInt(s -> s.model().length()).max().orElse(0);
        String model = "%-" + Math.max(48, width) + "s";
        printer.printf(model + " %6s %9s %12s %8s %10s", "model", "items", "accuracy", "mean reward", "format", "tokens/s");
        if (k > 0) {
            printer.printf(" %9s %9s %9s %9s", "pass@1", "pass@" + k, "maj@" + k, "samples");
        }
        printer.println();
        for (Evaluation.Summary s : rows) {
            printer.printf(Locale.ROOT, model + " %6d %8.1f%% %12.4f %7.1f%% %10.0f", s.model(), s.items(),
                    100 * s.accuracy(), s.meanReward(), 100 * s.formatRate(), s.tokensPerSecond());
            if (k > 0) {
                printer.printf(Locale.ROOT, " %9s %9s %9s %9s", RunReport.percent(s.passAt(1)),
                        RunReport.percent(s.passAt(k)), RunReport.percent(s.majority()),
                        RunReport.percent(s.sampleAccuracy()));
            }
            printer.println();
        }
        if (k > 0) {
            printer.printf("accuracy is the greedy answer's; pass@k (Chen et al.'s unbiased estimator), maj@%d and "
                    + "samples (accuracy over all sampled answers) are over %s%n", k, sampling.describe());
            for (Evaluation.Summary s : rows) {
                StringBuilder curve = new StringBuilder();
                for (int j = 1; j <= k; j++) {
                    curve.append(String.format(Locale.ROOT, " %d:%.1f%%", j, 100 * s.passAt(j)));
                }
                printer.printf("pass@k %s:%s%n", s.model(), curve);
            }
        }
    }

    private static void write(BufferedWriter writer, ObjectMapper json, Evaluation.ItemResult r) {
        ObjectNode node = json.createObjectNode();
        node.put("model", r.model());
        node.put("id", r.id());
        node.put("completion", r.completion());
        put(node, r.score());
        if (!r.samples().isEmpty()) {
            ArrayNode samples = node.putArray("samples");
            for (Evaluation.Sample sample : r.samples()) {
                put(samples.addObject().put("completion", sample.completion()), sample.score());
            }
        }
        try {
            writer.write(node.toString());
            writer.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void put(ObjectNode node, Score score) {
        node.put("reward", score.reward());
        node.put("answerOk", score.answerOk());
        node.put("formatOk", score.formatOk());
        node.put("extracted", score.extracted());
        node.put("reason", score.reason());
    }
}
