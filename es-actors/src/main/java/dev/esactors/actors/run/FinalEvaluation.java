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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The "base vs ES" table at the end of a run: each evaluation dataset scored with both models. The scores come
 * from evaluation rounds spread over the evaluators (the Coordinator's base and final rounds).
 */
public final class FinalEvaluation {

    /** One dataset's row: the base model's and the fine-tuned model's summaries. */
    public record Row(Path dataset, Evaluation.Summary base, Evaluation.Summary tuned) {
    }

    private FinalEvaluation() {
    }

    /** The base model's summaries on the run's eval datasets, scored here (for runs without a saved base round). */
    public static List<Evaluation.Summary> baseLocally(RunConfig config) {
        List<Evaluation.Summary> out = new ArrayList<>();
        Task<TaskItem> task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        Path modelDir = Replicas.modelDir(config);
        Decoder base = ModelLoader.load(modelDir, DeviceSpec.CPU, DType.parseWorking(config.model().dtype()));
        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir)) {
            for (Path dataset : config.evalDatasets()) {
                out.add(Evaluation.run("base", base, tokenizer, task, task.load(dataset),
                        ChatTemplate.parse(config.task().template()), config.task().system(), config.evalBatch(),
                        config.task().maxNewTokens(), r -> { }));
            }
        }
        return out;
    }
}
