package dev.esactors.train.config;

import dev.esactors.core.es.noise.ParameterFilter;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ParameterLayout;

import java.util.List;

/**
 * What a run's settings ask of its model, checked from config.json before anything is loaded or started: settings
 * that would make every member fail, or leave nothing to train, are errors naming the key instead of a run that
 * ends "successfully" with the base model.
 */
public final class ModelFit {

    private ModelFit() {
    }

    /** @throws IllegalArgumentException naming the key that the model cannot satisfy */
    public static void check(RunConfig config) {
        ModelConfig model = ConfigJson.read(BaseModel.dir(config));
        int maxNew = config.task().maxNewTokens();
        if (maxNew >= model.maxPositions()) {
            throw new IllegalArgumentException("task.max-new-tokens: " + maxNew + " new tokens do not fit the model's "
                    + "context of " + model.maxPositions() + " positions (max_position_embeddings in "
                    + BaseModel.dir(config).resolve("config.json") + "), prompt not counted");
        }
        ParameterFilter filter = config.es().parameters();
        List<ParameterLayout.Spec> tensors = ParameterLayout.of(model);
        if (tensors.stream().noneMatch(t -> filter.selects(t.name(), t.shape()))) {
            throw new IllegalArgumentException("es.parameters: " + describe(filter) + " selects none of the model's "
                    + tensors.size() + " tensors (e.g. " + tensors.get(0).name() + "): nothing would be trained");
        }
    }

    private static String describe(ParameterFilter filter) {
        return filter.kind() == ParameterFilter.Kind.PATTERN ? "'" + filter.pattern() + "'"
                : filter.kind().name().toLowerCase(java.util.Locale.ROOT);
    }
}
