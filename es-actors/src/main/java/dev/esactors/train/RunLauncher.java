package dev.esactors.train;

import dev.esactors.train.config.RunConfig;

import java.util.function.Consumer;

/**
 * Where a run goes, decided once for {@code run} and {@code study}: GRPO, and ES without evaluators, run in this
 * thread ({@link RunLoop}); ES with evaluators runs on the actors, which the caller supplies (the run library
 * cannot name them).
 */
public final class RunLauncher {

    /** Runs an ES run on the actors: a Coordinator and evaluators in this JVM, or this JVM as a cluster node. */
    @FunctionalInterface
    public interface OnActors {
        RunEvent run(RunConfig config, Consumer<RunEvent> events);
    }

    /** For callers that never start actors (a study's runs, which set evaluators.local = 0). */
    public static final OnActors IN_PROCESS_ONLY = (config, events) -> {
        throw new IllegalArgumentException("run " + config.id() + " needs actors (evaluators.local "
                + config.localEvaluators() + ", cluster.role " + config.cluster().role() + "), which this caller "
                + "does not start");
    };

    private RunLauncher() {
    }

    /** Runs {@code config} where it belongs; returns the last event. */
    public static RunEvent run(RunConfig config, OnActors actors, Consumer<RunEvent> events) {
        if (config.method() == RunConfig.Method.GRPO) {
            if (!config.cluster().standalone()) {
                throw new IllegalArgumentException("method = grpo runs in one process: cluster.role must be "
                        + "standalone, got " + config.cluster().role() + " (its gradients would need an all-reduce "
                        + "across nodes)");
            }
            return RunLoop.run(config, events);
        }
        if (config.cluster().standalone() && config.localEvaluators() == 0) {
            return RunLoop.run(config, events); // no evaluators: the run library alone, without an actor system
        }
        return actors.run(config, events);
    }
}
