package dev.esactors.actors;

import com.typesafe.config.ConfigFactory;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.TaskFitness;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsTrainer;
import dev.esactors.core.torch.DeviceSpec;

import java.nio.file.Path;
import java.util.Map;

/** A small real run on the embedded stories260K: a few iterations, a few prompts, a few tokens. */
final class TestRuns {

    private TestRuns() {
    }

    /** The master hash of the single-process ES loop on {@code config}: the reference the actors must reproduce. */
    static String loopHash(RunConfig config) {
        EsModel model = BaseModel.load(config, DeviceSpec.CPU);
        TaskFitness evaluation = new TaskFitness(config, model.decoder(), BaseModel.dir(config));
        try (EsTrainer trainer = new EsTrainer(model.replica(), (t, m) -> evaluation.evaluate(t), config.dir(),
                config.identity(), config.checkpointEvery(), config.checkpointKeep(), s -> { })) {
            trainer.runUntil(config.iterations());
            return trainer.replica().masterHash();
        }
    }

    static RunConfig small(Path dir, int evaluators, Map<String, Object> extra) {
        java.util.Map<String, Object> values = new java.util.HashMap<>(Map.of(
                "run.id", "test-" + dir.getFileName(),
                "run.dir", dir.toString(),
                "run.iterations", 3,
                "task.batch", 4,
                "task.max-new-tokens", 16,
                "es.population", 6,
                "es.sigma", 0.05,
                "es.alpha", 0.02,
                "checkpoint.every", 2,
                "evaluators.local", evaluators));
        values.put("task.options.word", "the"); // frequent enough that members' rewards differ from the start
        values.putAll(extra);
        return RunConfigLoader.parse(ConfigFactory.parseMap(values), "test config");
    }
}
