package dev.esactors.actors.run;

import dev.esactors.actors.config.RunConfig;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.Tasks;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The "base vs ES" table at the end of a run: each evaluation dataset scored with both models. */
public final class FinalEvaluation {

    /** One dataset's row: the base model's and the fine-tuned model's summaries. */
    public record Row(Path dataset, Evaluation.Summary base, Evaluation.Summary tuned) {
    }

    private FinalEvaluation() {
    }

    /** Scores the run's eval datasets with the base model and with {@code master} (the final fp32 weights). */
    public static List<Row> compare(RunConfig config, Map<String, Tensor> master) {
        List<Row> rows = new ArrayList<>();
        if (config.evalDatasets().isEmpty()) {
            return rows;
        }
        Task<TaskItem> task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        Path modelDir = Replicas.modelDir(config);
        DType working = DType.parseWorking(config.model().dtype());
        Decoder base = ModelLoader.load(modelDir, DeviceSpec.CPU, working);
        Decoder tuned = Replicas.decoderOver(config, base.config(), master);
        ChatTemplate template = ChatTemplate.parse(config.task().template());
        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir)) {
            for (Path dataset : config.evalDatasets()) {
                List<TaskItem> items = task.load(dataset);
                rows.add(new Row(dataset,
                        Evaluation.run("base", base, tokenizer, task, items, template, config.task().system(),
                                config.evalBatch(), config.task().maxNewTokens(), r -> { }),
                        Evaluation.run("ES", tuned, tokenizer, task, items, template, config.task().system(),
                                config.evalBatch(), config.task().maxNewTokens(), r -> { })));
            }
        }
        return rows;
    }
}
