package dev.esactors.train.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.ParameterLayout;
import dev.esactors.core.torch.DType;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A study file: the runs of a grid (methods x one hyperparameter axis per method x run seeds), each an ordinary run
 * file made of the study file's run keys plus the grid's values. Every run is parsed (and so checked) before any
 * starts. With {@code study.completions} > 0 every run samples that many completions, so methods are compared at
 * equal sampling cost: ES decodes population x task.batch completions an iteration, GRPO grpo.prompts x
 * grpo.group-size a step. With {@code study.tokens} > 0 every run generates that many tokens instead (run.token-budget;
 * completions vary in length, so runs end at different iterations). Every run scores the validation dataset
 * study.held-out-rounds times as it goes (eval.every set to match; eval.validation is left empty so that it is the
 * first of eval.datasets), for the report's curves.
 *
 * @param dir         where the runs, summary.csv and report.html go
 * @param completions the sampling budget per run in completions (0: none)
 * @param tokens      or in tokens generated (0: none; with neither, each run's run.iterations)
 * @param runs        the grid's runs, method by method, value by value, seed by seed
 */
public record StudyPlan(Path dir, long completions, long tokens, List<PlannedRun> runs) {

    /**
     * One run of the grid.
     *
     * @param name   its directory name under runs/
     * @param method es or grpo
     * @param axis   the key its method's axis varies
     * @param value  the value it takes, as written in the study file
     * @param seed   run.seed
     * @param config the run
     */
    public record PlannedRun(String name, String method, String axis, String value, long seed, RunConfig config) {
    }

    private static final Set<String> KEYS = Set.of("dir", "seeds", "completions", "tokens", "held-out-rounds",
            "es", "grpo");

    /** Reads {@code file}; errors name the file and the key. {@code dirOverride} replaces study.dir when set. */
    public static StudyPlan load(Path file, Path dirOverride) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": study file not found");
        }
        String where = file + ": ";
        Config all = RunConfigLoader.parseFile(file);
        if (!all.hasPath("study")) {
            throw new IllegalArgumentException(where + "no study block (study { seeds = [...], es { axis = ..., "
                    + "values = [...] }, grpo { ... } })");
        }
        Config study = all.getConfig("study");
        for (String key : study.root().keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(where + "unknown key 'study." + key + "' (known: " + KEYS + ")");
            }
        }
        try {
            Path dir = dirOverride != null ? dirOverride : Path.of(study.hasPath("dir") ? study.getString("dir")
                    : "studies/" + file.getFileName().toString().replaceFirst("\\.conf$", ""));
            List<Long> seeds = study.getLongList("seeds");
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("study.seeds is empty");
            }
            long completions = study.hasPath("completions") ? study.getLong("completions") : 0;
            long tokens = study.hasPath("tokens") ? study.getLong("tokens") : 0;
            if (completions < 0 || tokens < 0) {
                throw new IllegalArgumentException("study.completions and study.tokens must be >= 0, got "
                        + completions + " and " + tokens);
            }
            if (completions > 0 && tokens > 0) {
                throw new IllegalArgumentException("study.completions and study.tokens are two budgets: hold one "
                        + "fixed, not both");
            }
            int rounds = study.hasPath("held-out-rounds") ? study.getInt("held-out-rounds") : 10;
            if (rounds < 0) {
                throw new IllegalArgumentException("study.held-out-rounds must be >= 0, got " + rounds);
            }
            Config base = all.withoutPath("study");
            List<PlannedRun> runs = new ArrayList<>();
            for (String method : List.of("es", "grpo")) {
                if (study.hasPath(method)) {
                    runs.addAll(arm(file, base, dir, method, study.getConfig(method), seeds, new Budget(completions,
                            tokens), rounds));
                }
            }
            if (runs.isEmpty()) {
                throw new IllegalArgumentException("study has neither an es nor a grpo block");
            }
            return new StudyPlan(dir, completions, tokens, List.copyOf(runs));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private static List<PlannedRun> arm(Path file, Config base, Path dir, String method, Config arm, List<Long> seeds,
                                        Budget budget, int rounds) {
        String axis = arm.getString("axis");
        List<? extends ConfigValue> values = arm.getList("values");
        if (values.isEmpty()) {
            throw new IllegalArgumentException("study." + method + ".values is empty");
        }
        List<PlannedRun> out = new ArrayList<>();
        for (ConfigValue value : values) {
            String text = String.valueOf(value.unwrapped());
            for (long seed : seeds) {
                String name = String.format(Locale.ROOT, "%s-%s-seed%d", method, text.replaceAll("[^A-Za-z0-9.+-]", "_"),
                        seed);
                Config run = base.withValue(axis, value)
                        .withValue("method", ConfigValueFactory.fromAnyRef(method))
                        .withValue("run.seed", ConfigValueFactory.fromAnyRef(seed))
                        .withValue("run.id", ConfigValueFactory.fromAnyRef(name))
                        .withValue("run.dir", ConfigValueFactory.fromAnyRef(dir.resolve("runs").resolve(name).toString()))
                        .withValue("evaluators.local", ConfigValueFactory.fromAnyRef(0))
                        .withValue("eval.validation", ConfigValueFactory.fromAnyRef(""));
                RunConfig config = RunConfigLoader.parse(run, file + " (run " + name + ")");
                if (config.eval().datasets().size() != 2) {
                    throw new IllegalArgumentException("eval.datasets must name two datasets, [validation, test]: "
                            + "the first chooses each method's setting, the second only reports");
                }
                long per = perIteration(config);
                long iterations = config.iterations(); // the fewest iterations a run takes
                if (budget.completions() > 0) {
                    iterations = Math.max(1, ceil(budget.completions(), per));
                    run = run.withValue("run.iterations", ConfigValueFactory.fromAnyRef(iterations));
                } else if (budget.tokens() > 0) {
                    // at most ceil(tokens / per) iterations (completions of one token each), at least that over
                    // max-new-tokens (completions of full length)
                    run = run.withValue("run.token-budget", ConfigValueFactory.fromAnyRef(budget.tokens()))
                            .withValue("run.iterations", ConfigValueFactory.fromAnyRef(Math.max(1,
                                    ceil(budget.tokens(), per))));
                    iterations = Math.max(1, ceil(budget.tokens(), per * config.task().maxNewTokens()));
                }
                long every = rounds == 0 ? 0 : Math.max(1, iterations / rounds);
                config = RunConfigLoader.parse(run.withValue("eval.every", ConfigValueFactory.fromAnyRef(every)),
                        file + " (run " + name + ")");
                out.add(new PlannedRun(name, method, axis, text, seed, config));
            }
        }
        return out;
    }

    /**
     * The bytes of model state a run holds: ES the fp32 master and the working copy (plus Adam's two moments with
     * es.update = adam); GRPO the fp32 weights, their gradients and AdamW's two moments (plus the fp32 reference
     * model when grpo.kl-beta > 0). Activations and KV caches come on top for both.
     */
    static long stateBytes(RunConfig config) {
        long parameters = 0;
        for (ParameterLayout.Spec spec : ParameterLayout.of(ConfigJson.read(BaseModel.dir(config)))) {
            long n = 1;
            for (long d : spec.shape()) {
                n *= d;
            }
            parameters += n;
        }
        if (config.method() == RunConfig.Method.GRPO) {
            return parameters * 4 * (config.grpo().klBeta() > 0 ? 5 : 4);
        }
        int working = DType.parseWorking(config.model().dtype()).bytes();
        return parameters * (4 + working + (config.es().update() instanceof UpdateRule.Adam ? 8 : 0));
    }

    /** A run's sampling budget: completions or tokens generated (0: not that one). */
    private record Budget(long completions, long tokens) {
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Completions a run samples per iteration (ES: every member decodes the batch; GRPO: G per prompt). */
    static long perIteration(RunConfig config) {
        return config.method() == RunConfig.Method.GRPO
                ? (long) config.grpo().prompts() * config.grpo().groupSize()
                : (long) config.es().populationSize() * config.task().batch();
    }
}
