package dev.esactors.actors.run;

import dev.esactors.actors.config.RunConfig;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.Tasks;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Scores the run's current weights on its held-out dataset (the first of {@code eval.datasets}) during the run.
 * The decoder reads the fp32 master directly (or a cast copy for other working dtypes), so no replica is needed.
 */
public final class HeldOutEvaluation implements AutoCloseable {

    private final RunConfig config;
    private final Task<TaskItem> task;
    private final List<TaskItem> items;
    private final HfTokenizer tokenizer;
    private final ModelConfig modelConfig;

    public HeldOutEvaluation(RunConfig config, ModelConfig modelConfig) {
        this.config = config;
        this.task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        this.items = task.load(dataset());
        this.tokenizer = HfTokenizer.load(Replicas.modelDir(config));
        this.modelConfig = modelConfig;
    }

    public Path dataset() {
        return config.evalDatasets().get(0);
    }

    /** The summary of the weights {@code master} on the held-out items. */
    public Evaluation.Summary score(Map<String, Tensor> master) {
        return Evaluation.run("iteration", Replicas.decoderOver(config, modelConfig, master), tokenizer, task, items,
                ChatTemplate.parse(config.task().template()), config.task().system(), config.evalBatch(),
                config.task().maxNewTokens(), r -> { });
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
