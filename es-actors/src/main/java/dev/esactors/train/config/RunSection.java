package dev.esactors.train.config;

import com.typesafe.config.Config;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

import static dev.esactors.train.config.ConfigKeys.get;
import static dev.esactors.train.config.ConfigKeys.nonNegative;
import static dev.esactors.train.config.ConfigKeys.positive;

/** The {@code run} block of a run file (its seed and control are read with the ES block, {@link EsSection}). */
final class RunSection {

    private RunSection() {
    }

    static RunConfig.Run parse(String where, Config c) {
        String id = get(where, "run.id", () -> c.getString("run.id"));
        String dirName = get(where, "run.dir", () -> c.getString("run.dir"));
        if (dirName.isBlank()) { // Paths.get("") is the current directory: a run would write its files there
            throw new IllegalArgumentException(where + "run.dir is empty: name the run's directory");
        }
        Path dir = Paths.get(dirName);
        int iterations = positive(where, "run.iterations", get(where, "run.iterations", () -> c.getInt("run.iterations")));
        long tokenBudget = get(where, "run.token-budget", () -> c.getLong("run.token-budget"));
        if (tokenBudget < 0) {
            throw new IllegalArgumentException(where + "run.token-budget must be >= 0, got " + tokenBudget);
        }
        Duration deadline = get(where, "run.member-deadline", () -> c.getDuration("run.member-deadline"));
        double coreSeconds = get(where, "run.core-seconds", () -> c.getDouble("run.core-seconds"));
        if (!(coreSeconds >= 0) || Double.isInfinite(coreSeconds)) {
            throw new IllegalArgumentException(where + "run.core-seconds must be a finite number >= 0, got "
                    + coreSeconds);
        }
        return new RunConfig.Run(id, dir, iterations, tokenBudget, deadline, coreSeconds);
    }

    /** The checkpoint block. */
    static RunConfig.Checkpointing checkpoint(String where, Config c) {
        return new RunConfig.Checkpointing(nonNegative(where, "checkpoint.every",
                get(where, "checkpoint.every", () -> c.getInt("checkpoint.every"))), positive(where,
                "checkpoint.keep", get(where, "checkpoint.keep", () -> c.getInt("checkpoint.keep"))));
    }
}
