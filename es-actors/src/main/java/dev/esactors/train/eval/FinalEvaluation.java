package dev.esactors.train.eval;

import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The "base vs ES" table at the end of a run: each evaluation dataset scored with both models. The scores come
 * from evaluation rounds spread over the evaluators (the Coordinator's base and final rounds).
 */
public final class FinalEvaluation {

    /**
     * One dataset's row: the base model's and the fine-tuned model's summaries.
     *
     * @param label how the table names it (the file, or for an eval.extra dataset, its task and file)
     */
    public record Row(Path dataset, String label, Evaluation.Summary base, Evaluation.Summary tuned) {
    }

    private FinalEvaluation() {
    }

    /**
     * The base model's summaries on the run's eval datasets, scored here chunk by chunk as an evaluation round
     * would (for runs without a saved base round).
     */
    public static List<Evaluation.Summary> baseLocally(RunConfig config) {
        return locally(config, Map.of(), "base");
    }

    /**
     * The summaries of {@code weights} (fp32 by parameter name; the base model's for names it lacks) on the run's
     * eval datasets, scored in this process on the run's device type chunk by chunk, as an evaluation round would:
     * the same numbers the evaluators would report for these weights.
     */
    public static List<Evaluation.Summary> locally(RunConfig config, Map<String, Tensor> weights, String model) {
        Decoder decoder = ModelLoader.load(BaseModel.dir(config), BaseModel.coordinatorDevice(config),
                DType.parseWorking(config.model().dtype()));
        weights.forEach((name, w) -> {
            Tensor p = decoder.parameters().get(name);
            if (p == null) {
                throw new IllegalArgumentException("weights hold '" + name + "', which the model does not have");
            }
            p.copy_(w);
        });
        List<Evaluation.Summary> out = new ArrayList<>();
        try (EvalDatasets data = new EvalDatasets(config)) {
            for (int d = 0; d < data.tableCount(); d++) {
                long start = System.nanoTime();
                Evaluation.Tally total = Evaluation.Tally.EMPTY;
                for (int k = 0; k < data.chunks(d); k++) {
                    total = total.plus(data.score(decoder, d, k));
                }
                out.add(total.summary(model, (System.nanoTime() - start) / 1e9));
            }
        }
        return out;
    }
}
