package dev.esactors.train.eval;

import dev.esactors.core.model.Decoder;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's evaluation datasets ({@code eval.datasets}, then {@code eval.validation} if set) cut into chunks of
 * {@code eval.batch} items: the unit of evaluation work, like a population member. Chunk k of dataset d is always
 * the same items decoded as one batch, so whichever replica scores it, the numbers are the same. Items and the
 * tokenizer are loaded on first use.
 */
public final class EvalDatasets implements AutoCloseable {

    private final RunConfig config;
    private final List<Path> paths;
    private final Task<TaskItem> task;
    private final Map<Integer, List<TaskItem>> items = new HashMap<>();
    private HfTokenizer tokenizer;

    public EvalDatasets(RunConfig config) {
        this.config = config;
        List<Path> all = new ArrayList<>(config.evalDatasets());
        if (config.evalValidation() != null) {
            all.add(config.evalValidation());
        }
        this.paths = List.copyOf(all);
        this.task = Tasks.createForOwnItems(config.task().name(), config.task().options());
    }

    /** The datasets of the final table: eval.datasets, indices 0 to count - 1. */
    public int count() {
        return config.evalDatasets().size();
    }

    /** The dataset the in-run evaluations score: eval.validation when set, else the first of eval.datasets. */
    public int heldOut() {
        return config.evalValidation() != null ? count() : 0;
    }

    public Path path(int dataset) {
        return paths.get(dataset);
    }

    /** Chunks of {@code dataset} (the last one may be short). */
    public int chunks(int dataset) {
        int n = items(dataset).size();
        return (n + config.evalBatch() - 1) / config.evalBatch();
    }

    /** Scores chunk {@code chunk} of {@code dataset} with {@code decoder} (unperturbed weights). */
    public Evaluation.Tally score(Decoder decoder, int dataset, int chunk) {
        List<TaskItem> all = items(dataset);
        int from = chunk * config.evalBatch();
        if (chunk < 0 || from >= all.size()) {
            throw new IllegalArgumentException("no chunk " + chunk + " in " + path(dataset));
        }
        if (tokenizer == null) {
            tokenizer = HfTokenizer.load(BaseModel.dir(config));
        }
        return Evaluation.scoreBatch("eval", decoder, tokenizer, task,
                all.subList(from, Math.min(all.size(), from + config.evalBatch())),
                ChatTemplate.parse(config.task().template()), config.task().system(), config.task().maxNewTokens(),
                r -> { });
    }

    private List<TaskItem> items(int dataset) {
        return items.computeIfAbsent(dataset, d -> {
            List<TaskItem> loaded = new ArrayList<>(task.load(path(d)));
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
