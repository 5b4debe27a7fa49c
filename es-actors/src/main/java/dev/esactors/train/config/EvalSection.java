package dev.esactors.train.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.catalog.Tasks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.esactors.train.config.ConfigKeys.check;
import static dev.esactors.train.config.ConfigKeys.get;
import static dev.esactors.train.config.ConfigKeys.nonNegative;
import static dev.esactors.train.config.ConfigKeys.positive;

/** The {@code eval} block of a run file: datasets, validation, sampling, the final weights, other tasks. */
final class EvalSection {

    private EvalSection() {
    }

    /** The eval block; {@code task} is the run's own task (eval.extra must name others). */
    static RunConfig.Eval parse(String where, Config c, RunConfig.TaskSpec task) {
        List<Path> evalDatasets = new ArrayList<>();
        for (String d : get(where, "eval.datasets", () -> c.getStringList("eval.datasets"))) {
            if (!Files.exists(Paths.get(d))) {
                throw new IllegalArgumentException(where + "eval.datasets: '" + d + "' not found");
            }
            evalDatasets.add(Paths.get(d));
        }
        int evalBatch = positive(where, "eval.batch", get(where, "eval.batch", () -> c.getInt("eval.batch")));
        int evalEvery = nonNegative(where, "eval.every", get(where, "eval.every", () -> c.getInt("eval.every")));
        if (evalEvery > 0 && evalDatasets.isEmpty()) {
            throw new IllegalArgumentException(where + "eval.every needs eval.datasets (the held-out items)");
        }
        Path validation = validation(where, c, evalDatasets, evalEvery);
        RunConfig.FinalWeights finalWeights = finalWeights(where, c, validation);
        EvalSampling evalSampling = evalSampling(where, c);
        int klPrompts = nonNegative(where, "eval.kl-prompts", get(where, "eval.kl-prompts",
                () -> c.getInt("eval.kl-prompts")));
        List<RunConfig.ExtraEval> extra = extra(where, c, task);
        if (!extra.isEmpty() && evalDatasets.isEmpty()) {
            throw new IllegalArgumentException(where + "eval.extra needs eval.datasets: its rows stand next to "
                    + "the run's own task's in the base-vs-trained table");
        }
        return new RunConfig.Eval(evalDatasets, evalBatch, evalEvery, validation, finalWeights, evalSampling,
                klPrompts, extra);
    }

    /** eval.validation: null when empty; otherwise an existing file, scored every eval.every, and not a table dataset. */
    private static Path validation(String where, Config c, List<Path> datasets, int every) {
        String name = get(where, "eval.validation", () -> c.getString("eval.validation"));
        if (name.isEmpty()) {
            return null;
        }
        Path file = Paths.get(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(where + "eval.validation: '" + name + "' not found");
        }
        if (datasets.isEmpty() || every == 0) {
            throw new IllegalArgumentException(where + "eval.validation needs eval.every > 0 and eval.datasets: it is "
                    + "what the in-run evaluations score, next to the datasets the final table reports");
        }
        Path normalized = file.toAbsolutePath().normalize();
        for (Path d : datasets) {
            if (d.toAbsolutePath().normalize().equals(normalized) || DatasetFiles.sameContent(file, d)) {
                throw new IllegalArgumentException(where + "eval.validation '" + name + "' is also in eval.datasets"
                        + (d.toAbsolutePath().normalize().equals(normalized) ? "" : " (as its copy '" + d + "')")
                        + ": weights chosen on a dataset make its reported score optimistic; give a separate one");
            }
        }
        return file;
    }

    /**
     * eval.extra: a list of {task, dataset, options, max-new-tokens, template, system}; the last four default to the
     * run's task block. Each task is created and its dataset read now, so that a mistake is found before the run.
     */
    private static List<RunConfig.ExtraEval> extra(String where, Config c, RunConfig.TaskSpec own) {
        List<RunConfig.ExtraEval> out = new ArrayList<>();
        List<? extends Config> entries = get(where, "eval.extra", () -> c.getConfigList("eval.extra"));
        for (int i = 0; i < entries.size(); i++) {
            Config e = entries.get(i);
            String key = "eval.extra[" + i + "]";
            for (Map.Entry<String, ConfigValue> field : e.root().entrySet()) {
                if (!java.util.Set.of("task", "dataset", "options", "max-new-tokens", "template", "system")
                        .contains(field.getKey())) {
                    throw new IllegalArgumentException(where + key + "." + field.getKey() + " is not a key of an extra "
                            + "evaluation (task, dataset, options, max-new-tokens, template, system)");
                }
            }
            String name = get(where, key + ".task", () -> e.getString("task"));
            Path dataset = Paths.get(get(where, key + ".dataset", () -> e.getString("dataset")));
            if (!Files.exists(dataset)) {
                throw new IllegalArgumentException(where + key + ".dataset: '" + dataset + "' not found");
            }
            Map<String, String> options = new java.util.TreeMap<>();
            if (e.hasPath("options")) {
                get(where, key + ".options", () -> e.getConfig("options")).entrySet()
                        .forEach(o -> options.put(o.getKey(), String.valueOf(o.getValue().unwrapped())));
            }
            int tokens = positive(where, key + ".max-new-tokens", e.hasPath("max-new-tokens")
                    ? get(where, key + ".max-new-tokens", () -> e.getInt("max-new-tokens")) : own.maxNewTokens());
            String template = e.hasPath("template") ? get(where, key + ".template", () -> e.getString("template"))
                    : own.template();
            check(where, key + ".template", () -> ChatTemplate.parse(template));
            String system = e.hasPath("system") ? get(where, key + ".system", () -> e.getString("system"))
                    : own.system();
            RunConfig.ExtraEval extra = new RunConfig.ExtraEval(name, options, dataset, tokens, template, system);
            check(where, key, () -> Tasks.createForOwnItems(name, options).load(dataset));
            out.add(extra);
        }
        return java.util.List.copyOf(out);
    }

    /** eval.samples, eval.temperature, eval.top-p, eval.seed. */
    private static EvalSampling evalSampling(String where, Config c) {
        int samples = nonNegative(where, "eval.samples", get(where, "eval.samples", () -> c.getInt("eval.samples")));
        double temperature = get(where, "eval.temperature", () -> c.getDouble("eval.temperature"));
        double topP = get(where, "eval.top-p", () -> c.getDouble("eval.top-p"));
        long seed = get(where, "eval.seed", () -> c.getLong("eval.seed"));
        return check(where, "eval", () -> new EvalSampling(samples, temperature, topP, seed));
    }

    /** eval.final-weights: last, or best (which needs eval.validation, so that no reported dataset chooses). */
    private static RunConfig.FinalWeights finalWeights(String where, Config c, Path validation) {
        String name = get(where, "eval.final-weights", () -> c.getString("eval.final-weights"));
        return switch (name) {
            case "last" -> RunConfig.FinalWeights.LAST;
            case "best" -> {
                if (validation == null) {
                    throw new IllegalArgumentException(where + "eval.final-weights = best needs eval.validation (the "
                            + "weights are chosen on it; choosing on a dataset of the final table would bias its scores)");
                }
                yield RunConfig.FinalWeights.BEST;
            }
            default -> throw new IllegalArgumentException(where + "eval.final-weights must be last or best, got '"
                    + name + "'");
        };
    }
}
