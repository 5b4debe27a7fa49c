package dev.esactors.train.config;

import com.typesafe.config.Config;
import dev.esactors.core.rl.GrpoSettings;

import java.util.Locale;

import static dev.esactors.train.config.ConfigKeys.get;

/** The {@code method} key and the {@code grpo} block of a run file. */
final class GrpoSection {

    private GrpoSection() {
    }

    static RunConfig.Method method(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "es" -> RunConfig.Method.ES;
            case "grpo" -> RunConfig.Method.GRPO;
            default -> throw new IllegalArgumentException("must be es or grpo, got '" + value + "'");
        };
    }

    static GrpoSettings grpo(String where, Config c) {
        try {
            return new GrpoSettings(get(where, "grpo.prompts", () -> c.getInt("grpo.prompts")),
                    get(where, "grpo.group-size", () -> c.getInt("grpo.group-size")),
                    get(where, "grpo.temperature", () -> c.getDouble("grpo.temperature")),
                    get(where, "grpo.top-p", () -> c.getDouble("grpo.top-p")),
                    get(where, "grpo.learning-rate", () -> c.getDouble("grpo.learning-rate")),
                    get(where, "grpo.adam-beta1", () -> c.getDouble("grpo.adam-beta1")),
                    get(where, "grpo.adam-beta2", () -> c.getDouble("grpo.adam-beta2")),
                    get(where, "grpo.adam-epsilon", () -> c.getDouble("grpo.adam-epsilon")),
                    get(where, "grpo.weight-decay", () -> c.getDouble("grpo.weight-decay")),
                    get(where, "grpo.grad-clip", () -> c.getDouble("grpo.grad-clip")),
                    get(where, "grpo.clip-epsilon", () -> c.getDouble("grpo.clip-epsilon")),
                    get(where, "grpo.passes", () -> c.getInt("grpo.passes")),
                    get(where, "grpo.kl-beta", () -> c.getDouble("grpo.kl-beta")),
                    GrpoSettings.scaling(get(where, "grpo.advantage-scaling",
                            () -> c.getString("grpo.advantage-scaling"))),
                    GrpoSettings.aggregation(get(where, "grpo.loss-aggregation",
                            () -> c.getString("grpo.loss-aggregation"))));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(where)) {
                throw e;
            }
            throw new IllegalArgumentException(where + e.getMessage(), e); // the message starts with the key
        }
    }
}
