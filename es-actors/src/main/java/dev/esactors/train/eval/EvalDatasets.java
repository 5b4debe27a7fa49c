package dev.esactors.train.eval;

import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.EvalSampling;
import dev.esactors.train.config.RunConfig;
import org.bytedeco.javacpp.PointerScope;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A run's evaluation datasets ({@code eval.datasets}, then {@code eval.extra}'s datasets of other tasks, then
 * {@code eval.validation} if set) cut into chunks of {@code eval.batch} items: the unit of evaluation work, like a
 * population member. Chunk k of dataset d is always the same items decoded as one batch, so whichever replica scores
 * it, the numbers are the same. Items and the tokenizer are loaded on first use.
 */
public final class EvalDatasets implements AutoCloseable {

    /** One dataset with the task that scores it and how its prompts are written. */
    private record Entry(Path path, String label, String taskName, Map<String, String> options, String template,
                         String system, int maxNewTokens) {
    }

    private final RunConfig config;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<Integer, Task<TaskItem>> tasks = new HashMap<>();
    private final Map<Integer, List<TaskItem>> items = new HashMap<>();
    private HfTokenizer tokenizer;

    public EvalDatasets(RunConfig config) {
        this.config = config;
        RunConfig.TaskSpec own = config.task();
        for (Path d : config.eval().datasets()) {
            entries.add(new Entry(d, d.getFileName().toString(), own.name(), own.options(), own.template(),
                    own.system(), own.maxNewTokens()));
        }
        for (RunConfig.ExtraEval e : config.eval().extra()) {
            entries.add(new Entry(e.dataset(), e.label(), e.task(), e.options(), e.template(), e.system(),
                    e.maxNewTokens()));
        }
        if (config.eval().validation() != null) {
            Path v = config.eval().validation();
            entries.add(new Entry(v, v.getFileName().toString(), own.name(), own.options(), own.template(),
                    own.system(), own.maxNewTokens()));
        }
    }

    /** The datasets of the run's own task in the final table: eval.datasets, indices 0 to count - 1. */
    public int count() {
        return config.eval().datasets().size();
    }

    /** Every dataset of the final table: eval.datasets, then eval.extra's (indices count to tableCount - 1). */
    public int tableCount() {
        return count() + config.eval().extra().size();
    }

    /** The datasets of other tasks (eval.extra), which every round scores too. */
    public List<Integer> extras() {
        return java.util.stream.IntStream.range(count(), tableCount()).boxed().toList();
    }

    /** The dataset the in-run evaluations score: eval.validation when set, else the first of eval.datasets. */
    public int heldOut() {
        return config.eval().validation() != null ? tableCount() : 0;
    }

    public Path path(int dataset) {
        return entries.get(dataset).path();
    }

    /** How tables name {@code dataset}: its file name, and for another task's, the task first. */
    public String label(int dataset) {
        return entries.get(dataset).label();
    }

    /** Chunks of {@code dataset} (the last one may be short). */
    public int chunks(int dataset) {
        int n = items(dataset).size();
        return (n + config.eval().batch() - 1) / config.eval().batch();
    }

    /** Scores chunk {@code chunk} of {@code dataset} with {@code decoder} (unperturbed weights). */
    public Evaluation.Tally score(Decoder decoder, int dataset, int chunk) {
        return score(decoder, dataset, chunk, r -> { });
    }

    /**
     * Whether {@code decoder}'s greedy answer to each item of {@code dataset} is right, in the dataset's order ('1'
     * or '0'), scored chunk by chunk as a round would: what a paired comparison of two models needs.
     */
    public String outcomes(Decoder decoder, int dataset) {
        StringBuilder out = new StringBuilder();
        for (int chunk = 0; chunk < chunks(dataset); chunk++) {
            score(decoder, dataset, chunk, r -> out.append(r.score().answerOk() ? '1' : '0'));
        }
        return out.toString();
    }

    /**
     * {@code decoder}'s scores on the first {@code limit} items of {@code dataset}, decoded in eval.batch batches as
     * a round would, with {@code sampling} in place of eval.samples' (a study's pass@k of its finalists).
     */
    public Evaluation.Summary score(Decoder decoder, int dataset, int limit, EvalSampling sampling) {
        List<TaskItem> all = items(dataset);
        Evaluation.Settings own = settings(dataset);
        long start = System.nanoTime();
        Evaluation.Tally tally = Evaluation.score("diagnostics", decoder, tokenizer(), task(dataset),
                all.subList(0, Math.min(limit, all.size())), new Evaluation.Settings(own.template(), own.system(),
                        own.batch(), own.maxNewTokens(), sampling), r -> { });
        return tally.summary("diagnostics", (System.nanoTime() - start) / 1e9);
    }

    private HfTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = HfTokenizer.load(BaseModel.dir(config));
        }
        return tokenizer;
    }

    private Evaluation.Tally score(Decoder decoder, int dataset, int chunk, Consumer<Evaluation.ItemResult> sink) {
        List<TaskItem> all = items(dataset);
        int from = chunk * config.eval().batch();
        if (chunk < 0 || from >= all.size()) {
            throw new IllegalArgumentException("no chunk " + chunk + " in " + path(dataset));
        }
        return Evaluation.scoreBatch("eval", decoder, tokenizer(), task(dataset),
                all.subList(from, Math.min(all.size(), from + config.eval().batch())), from, settings(dataset), sink);
    }

    /** How {@code dataset} is evaluated: its task's template and answer length, eval.batch, eval.samples. */
    public Evaluation.Settings settings(int dataset) {
        Entry e = entries.get(dataset);
        return new Evaluation.Settings(ChatTemplate.parse(e.template()), e.system(), config.eval().batch(),
                e.maxNewTokens(), config.eval().sampling());
    }

    private Task<TaskItem> task(int dataset) {
        return tasks.computeIfAbsent(dataset, d -> Tasks.createForOwnItems(entries.get(d).taskName(),
                entries.get(d).options()));
    }

    /**
     * The KL monitor's base side: the base model's greedy completions of the first {@code prompts} items of the
     * held-out dataset and its log-probabilities over them (the base model is loaded for this and then dropped: the
     * decode's temporaries are freed on return, its weights, like any dropped model's, by the garbage collector).
     */
    public BaseDivergence baseDivergence(int prompts) {
        List<TaskItem> all = items(heldOut());
        Task<TaskItem> task = task(heldOut());
        Evaluation.Settings settings = settings(heldOut());
        List<int[]> encoded = new ArrayList<>();
        for (TaskItem item : all.subList(0, Math.min(prompts, all.size()))) {
            encoded.add(tokenizer().encode(settings.template().render(settings.system(), task, item)));
        }
        try (PointerScope scope = new PointerScope()) { // the log-probabilities are kept, the temporaries freed
            Decoder base = ModelLoader.load(BaseModel.dir(config), BaseModel.coordinatorDevice(config), DType.F32);
            return new BaseDivergence(base, encoded, settings.maxNewTokens());
        }
    }

    private List<TaskItem> items(int dataset) {
        return items.computeIfAbsent(dataset, d -> {
            List<TaskItem> loaded = new ArrayList<>(task(d).load(path(d)));
            if (loaded.isEmpty()) {
                throw new IllegalArgumentException(path(d) + ": no items to evaluate");
            }
            return List.copyOf(loaded);
        });
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
            tokenizer = null;
        }
    }
}
