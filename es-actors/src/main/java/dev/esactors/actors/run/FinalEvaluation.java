package dev.esactors.actors.run;

import dev.esactors.actors.config.RunConfig;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;

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

    /**
     * The base model's summaries on the run's eval datasets, scored here chunk by chunk as an evaluation round
     * would (for runs without a saved base round).
     */
    public static List<Evaluation.Summary> baseLocally(RunConfig config) {
        Decoder base = ModelLoader.load(Replicas.modelDir(config), DeviceSpec.CPU,
                DType.parseWorking(config.model().dtype()));
        List<Evaluation.Summary> out = new ArrayList<>();
        try (EvalDatasets data = new EvalDatasets(config)) {
            for (int d = 0; d < data.count(); d++) {
                long start = System.nanoTime();
                Evaluation.Tally total = Evaluation.Tally.EMPTY;
                for (int k = 0; k < data.chunks(d); k++) {
                    total = total.plus(data.score(base, d, k));
                }
                out.add(total.summary("base", (System.nanoTime() - start) / 1e9));
            }
        }
        return out;
    }
}
