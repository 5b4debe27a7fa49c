package dev.esactors.actors;

import com.typesafe.config.ConfigFactory;
import dev.esactors.train.RunLoop;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A small real run on the embedded stories260K: a few iterations, a few prompts, a few tokens. */
public final class TestRuns {

    private TestRuns() {
    }

    /** The master hash of the run in one thread without actors ({@link RunLoop}): what the actors must reproduce. */
    public static String loopHash(RunConfig config) {
        return localRun(config).masterHash();
    }

    /** {@code config} run by {@link RunLoop}, which must finish. */
    public static RunEvent.RunFinished localRun(RunConfig config) {
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = RunLoop.run(config, events::add);
        if (!(last instanceof RunEvent.RunFinished finished)) {
            throw new AssertionError("the local run did not finish: " + events);
        }
        return finished;
    }

    public static RunConfig small(Path dir, int evaluators, Map<String, Object> extra) {
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
