package dev.esactors.train.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
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
import java.util.Set;

/**
 * A study file: the runs of a grid (arms x up to two hyperparameter axes per arm x run seeds), each an ordinary run
 * file made of the study file's run keys, the arm's fixed settings and the grid's values. An arm is a method with
 * fixed settings (plain ES, ES with mirrored sampling and ranks, GRPO, Dr.GRPO, ...); the old {@code es} and
 * {@code grpo} blocks are arms named after their method. Every run is parsed (and so checked) before any starts.
 * With {@code study.confirm-seeds}, the screening runs (study.seeds) choose each arm's setting on validation and
 * only that setting then runs the confirmation seeds too, so that the final figures rest on all the seeds. With
 * {@code study.completions} > 0 every run samples that many completions, so arms are compared at equal sampling cost:
 * ES decodes population x task.batch completions an iteration, GRPO grpo.prompts x grpo.group-size a step. With
 * {@code study.tokens} > 0 every run generates that many tokens instead (run.token-budget;
 * completions vary in length, so runs end at different iterations). With {@code study.core-seconds} > 0 every run
 * spends that much CPU time of its own process instead (run.core-seconds; run.iterations stays the upper bound and
 * paces the held-out rounds, so set it near what the budget buys). Every run scores the validation dataset
 * study.held-out-rounds times as it goes (eval.every set to match; eval.validation is left empty so that it is the
 * first of eval.datasets), for the report's curves.
 *
 * @param dir          where the runs, summary.csv and report.html go
 * @param completions  the sampling budget per run in completions (0: none)
 * @param tokens       or in tokens generated (0: none)
 * @param coreSeconds  or in CPU time of each run's process (0: none; with none of the three, each run's
 *                     run.iterations)
 * @param screenSeeds  the seeds every setting runs
 * @param confirmSeeds the seeds only each arm's chosen setting runs besides (empty: no confirmation stage)
 * @param parallel     runs at once (study.parallel), each in its own process; a run's weights do not depend on it
 * @param arms         the arms, in the file's order
 * @param runs         the grid's runs, arm by arm, setting by setting, seed by seed (confirmation seeds included)
 */
public record StudyPlan(Path dir, long completions, long tokens, double coreSeconds, List<Long> screenSeeds,
                        List<Long> confirmSeeds, int parallel, List<Arm> arms, List<PlannedRun> runs) {

    public StudyPlan {
        screenSeeds = List.copyOf(screenSeeds);
        confirmSeeds = List.copyOf(confirmSeeds);
        arms = List.copyOf(arms);
        runs = List.copyOf(runs);
    }

    /** This plan with {@code k} runs at once. */
    public StudyPlan withParallel(int k) {
        if (k < 1 || k > 64) {
            throw new IllegalArgumentException("study.parallel must be in [1, 64], got " + k);
        }
        return new StudyPlan(dir, completions, tokens, coreSeconds, screenSeeds, confirmSeeds, k, arms, runs);
    }

    /** The runs the study will make: every screening run, and the confirmation runs of one setting per arm. */
    public int scheduled() {
        return (int) runs.stream().filter(r -> !r.confirmation()).count() + arms.size() * confirmSeeds.size();
    }

    /**
     * One arm: a method with fixed settings, searched along up to two axes.
     *
     * @param name   how runs and tables name it
     * @param method es or grpo
     * @param axes   its axes, each a run key and the values it takes (as written)
     */
    public record Arm(String name, String method, List<Axis> axes) {
        public Arm {
            axes = List.copyOf(axes);
        }
    }

    /** A run key and the values a grid gives it, as written in the study file. */
    public record Axis(String key, List<String> values) {
        public Axis {
            values = List.copyOf(values);
        }
    }

    /**
     * One run of the grid.
     *
     * @param name         its directory name under runs/
     * @param arm          its arm's name
     * @param method       es or grpo
     * @param values       the value of each of its arm's axes, as written
     * @param seed         run.seed
     * @param confirmation whether it is a confirmation seed (run only if its setting is chosen)
     * @param config       the run
     */
    public record PlannedRun(String name, String arm, String method, List<String> values, long seed,
                             boolean confirmation, RunConfig config) {
        public PlannedRun {
            values = List.copyOf(values);
        }

        /** Its setting as tables show it: the values, joined by " x " for two axes. */
        public String value() {
            return String.join(" x ", values);
        }
    }

    private static final Set<String> KEYS = Set.of("dir", "seeds", "confirm-seeds", "completions", "tokens",
            "core-seconds", "held-out-rounds", "parallel", "arms", "es", "grpo");
    /** The most runs a study plans (confirmation runs of every setting counted). */
    static final int MAX_RUNS = 10_000;

    /** Reads {@code file}; errors name the file and the key. {@code dirOverride} replaces study.dir when set. */
    public static StudyPlan load(Path file, Path dirOverride) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": study file not found");
        }
        String where = file + ": ";
        Config all = RunConfigLoader.parseFile(file);
        if (!all.hasPath("study")) {
            throw new IllegalArgumentException(where + "no study block (study { seeds = [...], arms = [{ name = ..., "
                    + "method = ..., axes = [{ key = ..., values = [...] }] }] })");
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
            List<Long> seeds = distinct("study.seeds", study.getLongList("seeds"));
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("study.seeds is empty");
            }
            List<Long> confirm = distinct("study.confirm-seeds", study.hasPath("confirm-seeds")
                    ? study.getLongList("confirm-seeds") : List.of());
            for (long seed : confirm) {
                if (seeds.contains(seed)) {
                    throw new IllegalArgumentException("study.confirm-seeds repeats screening seed " + seed
                            + ": a confirmation seed is one the setting was not chosen on");
                }
            }
            long completions = study.hasPath("completions") ? study.getLong("completions") : 0;
            long tokens = study.hasPath("tokens") ? study.getLong("tokens") : 0;
            if (completions < 0 || tokens < 0) {
                throw new IllegalArgumentException("study.completions and study.tokens must be >= 0, got "
                        + completions + " and " + tokens);
            }
            double coreSeconds = study.hasPath("core-seconds") ? study.getDouble("core-seconds") : 0;
            if (!(coreSeconds >= 0) || Double.isInfinite(coreSeconds)) {
                throw new IllegalArgumentException("study.core-seconds must be a finite number >= 0, got "
                        + coreSeconds);
            }
            if ((completions > 0 ? 1 : 0) + (tokens > 0 ? 1 : 0) + (coreSeconds > 0 ? 1 : 0) > 1) {
                throw new IllegalArgumentException("study.completions, study.tokens and study.core-seconds are "
                        + "three budgets: hold one fixed, not several");
            }
            int parallel = study.hasPath("parallel") ? study.getInt("parallel") : 1;
            if (parallel < 1 || parallel > 64) {
                throw new IllegalArgumentException("study.parallel must be in [1, 64], got " + parallel);
            }
            int rounds = study.hasPath("held-out-rounds") ? study.getInt("held-out-rounds") : 10;
            if (rounds < 0) {
                throw new IllegalArgumentException("study.held-out-rounds must be >= 0, got " + rounds);
            }
            Config base = all.withoutPath("study");
            List<Arm> arms = new ArrayList<>();
            List<Config> fixed = new ArrayList<>();
            StudyArms.read(study, arms, fixed);
            long planned = 0;
            for (Arm arm : arms) {
                long settings = 1;
                for (Axis axis : arm.axes()) {
                    settings *= axis.values().size();
                }
                planned += settings * (seeds.size() + confirm.size());
            }
            if (planned > MAX_RUNS) { // each is parsed before any starts, and each takes minutes to hours
                throw new IllegalArgumentException("the grid plans " + planned + " runs; a study holds at most "
                        + MAX_RUNS);
            }
            List<PlannedRun> runs = new ArrayList<>();
            Budget budget = new Budget(completions, tokens, coreSeconds);
            for (int a = 0; a < arms.size(); a++) {
                runs.addAll(arm(file, fixed.get(a).withFallback(base), dir, arms.get(a), seeds, confirm, budget,
                        rounds));
            }
            Set<String> names = new java.util.HashSet<>();
            for (PlannedRun run : runs) {
                if (!names.add(run.name())) {
                    throw new IllegalArgumentException("two runs would share the directory runs/" + run.name()
                            + " (values that differ only in characters a directory name cannot hold?): "
                            + "make the arm names or values distinct");
                }
            }
            return new StudyPlan(dir, completions, tokens, coreSeconds, seeds, confirm, parallel, arms, runs);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(file.toString()) ? e
                    : new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private static List<Long> distinct(String key, List<Long> seeds) {
        if (Set.copyOf(seeds).size() != seeds.size()) {
            throw new IllegalArgumentException(key + " repeats a seed: " + seeds + " (a repeated seed would count "
                    + "one run twice)");
        }
        return seeds;
    }

    /** The runs of {@code arm}: every setting on the screening seeds, then on the confirmation seeds. */
    private static List<PlannedRun> arm(Path file, Config base, Path dir, Arm arm, List<Long> seeds,
                                        List<Long> confirm, Budget budget, int rounds) {
        List<List<String>> settings = new ArrayList<>();
        settings.add(List.of());
        for (Axis axis : arm.axes()) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> prefix : settings) {
                for (String value : axis.values()) {
                    List<String> s = new ArrayList<>(prefix);
                    s.add(value);
                    next.add(s);
                }
            }
            settings = next;
        }
        List<PlannedRun> out = new ArrayList<>();
        for (List<String> setting : settings) {
            for (int stage = 0; stage < 2; stage++) {
                for (long seed : stage == 0 ? seeds : confirm) {
                    out.add(planned(file, base, dir, arm, setting, seed, stage == 1, budget, rounds));
                }
            }
        }
        return out;
    }

    private static PlannedRun planned(Path file, Config base, Path dir, Arm arm, List<String> setting, long seed,
                                      boolean confirmation, Budget budget, int rounds) {
        StringBuilder name = new StringBuilder(arm.name());
        Config run = base;
        for (int a = 0; a < setting.size(); a++) {
            Axis axis = arm.axes().get(a);
            name.append('-').append(setting.get(a).replaceAll("[^A-Za-z0-9.+-]", "_"));
            run = run.withValue(axis.key(), ConfigValueFactory.fromAnyRef(parsedValue(setting.get(a))));
        }
        name.append("-seed").append(seed);
        String runName = name.toString();
        run = run.withValue("method", ConfigValueFactory.fromAnyRef(arm.method()))
                .withValue("run.seed", ConfigValueFactory.fromAnyRef(seed))
                .withValue("run.id", ConfigValueFactory.fromAnyRef(runName))
                .withValue("run.dir", ConfigValueFactory.fromAnyRef(dir.resolve("runs").resolve(runName).toString()))
                .withValue("evaluators.local", ConfigValueFactory.fromAnyRef(0))
                .withValue("eval.validation", ConfigValueFactory.fromAnyRef(""));
        RunConfig config = RunConfigLoader.parse(run, file + " (run " + runName + ")");
        if (config.eval().datasets().size() != 2) {
            throw new IllegalArgumentException("eval.datasets must name two datasets, [validation, test]: "
                    + "the first chooses each arm's setting, the second only reports");
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
        } else if (budget.coreSeconds() > 0) {
            run = run.withValue("run.core-seconds", ConfigValueFactory.fromAnyRef(budget.coreSeconds()));
        }
        long every = rounds == 0 ? 0 : Math.max(1, iterations / rounds);
        config = RunConfigLoader.parse(run.withValue("eval.every", ConfigValueFactory.fromAnyRef(every)),
                file + " (run " + runName + ")");
        return new PlannedRun(runName, arm.name(), arm.method(), setting, seed, confirmation, config);
    }

    /** A value as written in the study file, back to what HOCON parsed (a number stays a number). */
    private static Object parsedValue(String text) {
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            try {
                return Double.parseDouble(text);
            } catch (NumberFormatException e2) {
                return text;
            }
        }
    }

    /**
     * The bytes of model state a run holds: ES the fp32 master and the working copy (plus Adam's two moments with
     * es.update = adam); GRPO the fp32 weights, their gradients and AdamW's two moments (plus the fp32 reference
     * model when grpo.kl-beta > 0). Activations and KV caches come on top for both.
     */
    static long stateBytes(RunConfig config) {
        long parameters = parameters(config);
        if (config.method() == RunConfig.Method.GRPO) {
            return parameters * 4 * (config.grpo().klBeta() > 0 ? 5 : 4);
        }
        int working = DType.parseWorking(config.model().dtype()).bytes();
        return parameters * (4 + working + (config.es().update() instanceof UpdateRule.Adam ? 8 : 0));
    }

    /** The parameters of {@code config}'s model, from its config.json. */
    static long parameters(RunConfig config) {
        long parameters = 0;
        for (ParameterLayout.Spec spec : ParameterLayout.of(ConfigJson.read(BaseModel.dir(config)))) {
            long n = 1;
            for (long d : spec.shape()) {
                n *= d;
            }
            parameters += n;
        }
        return parameters;
    }

    /**
     * An estimate of the floating-point operations a run of {@code config} spent on its model: 2 per parameter per
     * token through a forward pass, 4 more through a backward one (attention's own products, a few percent at these
     * context lengths, left out). ES: every row's prompt and generated tokens, forward. GRPO: the same for sampling,
     * then per pass a forward and backward over every row's prompt and completion, and a forward of the old policy
     * (several passes) and of the reference model (a KL term) over them. NaN when the counts are unknown.
     */
    static double flops(RunConfig config, double promptTokens, double generated, double trained) {
        double p = parameters(config);
        double sampling = 2 * p * (promptTokens + generated);
        if (config.method() != RunConfig.Method.GRPO) {
            return sampling;
        }
        int passes = config.grpo().passes();
        double perPass = promptTokens + trained / passes; // every row's prompt and completion, once
        double training = 6 * p * perPass * passes;
        double extraForwards = (passes > 1 ? 1 : 0) + (config.grpo().klBeta() > 0 ? 1 : 0);
        return sampling + training + 2 * p * perPass * extraForwards;
    }

    /** A run's budget: completions sampled, tokens generated or core-seconds spent (0: not that one). */
    private record Budget(long completions, long tokens, double coreSeconds) {
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
