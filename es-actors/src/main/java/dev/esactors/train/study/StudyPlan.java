package dev.esactors.train.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueFactory;
import dev.esactors.train.config.DatasetFiles;
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
 * paces the held-out rounds, so set it near what the budget buys: an arm's {@code set} may, since ES and GRPO buy
 * very different numbers of steps with the same time). Every run scores the validation dataset
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
 * @param finals       the last stage at each chosen setting: controls, a budget sweep, diagnostics
 * @param runs         the grid's runs, arm by arm, setting by setting, seed by seed (confirmation seeds, controls and
 *                     budget runs included: those run only for the setting each arm chooses)
 */
public record StudyPlan(Path dir, long completions, long tokens, double coreSeconds, List<Long> screenSeeds,
                        List<Long> confirmSeeds, int parallel, List<Arm> arms, StudyFinals finals,
                        List<PlannedRun> runs) {

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
        return new StudyPlan(dir, completions, tokens, coreSeconds, screenSeeds, confirmSeeds, k, arms, finals,
                runs);
    }

    /**
     * This plan without its last stage (controls, other budgets, diagnostics): screening and confirmation only, for
     * a study that must fit a given time. The runs it makes are the full plan's, so the same directory later takes
     * the full plan and adds the last stage.
     */
    public StudyPlan withoutFinals() {
        return new StudyPlan(dir, completions, tokens, coreSeconds, screenSeeds, confirmSeeds, parallel, arms,
                StudyFinals.NONE, runs.stream().filter(r -> r.stage() == Stage.SCREENING
                        || r.stage() == Stage.CONFIRMATION).toList());
    }

    /**
     * The runs the study will make: every screening run, and the confirmation runs, controls and budget runs of one
     * setting per arm.
     */
    public int scheduled() {
        int perSetting = confirmSeeds.size() + (finals.controls() ? screenSeeds.size() : 0)
                + finals.budgets().size() * (screenSeeds.size() + confirmSeeds.size());
        return (int) runs.stream().filter(r -> r.stage() == Stage.SCREENING).count() + arms.size() * perSetting;
    }

    /** The stages of a study, in the order they run. */
    public enum Stage {
        /** Every setting on the screening seeds: validation chooses one per arm from these. */
        SCREENING,
        /** The chosen setting on the confirmation seeds. */
        CONFIRMATION,
        /** The chosen setting learning from shuffled rewards, on the screening seeds. */
        CONTROL,
        /** The chosen setting at another budget, on every seed. */
        BUDGET;

        /** Whether runs of this stage make the comparison's figures (the others have tables of their own). */
        public boolean compared() {
            return this == SCREENING || this == CONFIRMATION;
        }
    }

    /** The stage of the run named {@code name} (a result's); screening for a run the plan does not hold. */
    Stage stageOf(String name) {
        return runs.stream().filter(r -> r.name().equals(name)).map(PlannedRun::stage).findFirst()
                .orElse(Stage.SCREENING);
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
     * @param stage        its stage (all but screening run only if its setting is chosen)
     * @param budget       its budget as a fraction of the study's (1 but for budget runs)
     * @param config       the run
     */
    public record PlannedRun(String name, String arm, String method, List<String> values, long seed, Stage stage,
                             double budget, RunConfig config) {
        public PlannedRun {
            values = List.copyOf(values);
        }

        /** Whether it is a confirmation run. */
        public boolean confirmation() {
            return stage == Stage.CONFIRMATION;
        }

        /** Its setting as tables show it: the values, joined by " x " for two axes. */
        public String value() {
            return String.join(" x ", values);
        }
    }

    private static final Set<String> KEYS = Set.of("dir", "seeds", "confirm-seeds", "completions", "tokens",
            "core-seconds", "held-out-rounds", "parallel", "arms", "es", "grpo", "controls", "budgets",
            "diagnostics");
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
            StudyArms.read(study, arms, fixed, coreSeconds > 0);
            StudyFinals finals = StudyFinals.read(study);
            long planned = 0;
            for (Arm arm : arms) {
                long settings = 1;
                for (Axis axis : arm.axes()) {
                    settings *= axis.values().size();
                }
                planned += settings * (seeds.size() + confirm.size() + (finals.controls() ? seeds.size() : 0)
                        + (long) finals.budgets().size() * (seeds.size() + confirm.size()));
            }
            if (planned > MAX_RUNS) { // each is parsed before any starts, and each takes minutes to hours
                throw new IllegalArgumentException("the grid plans " + planned + " runs; a study holds at most "
                        + MAX_RUNS);
            }
            List<PlannedRun> runs = new ArrayList<>();
            Budget budget = new Budget(completions, tokens, coreSeconds);
            for (int a = 0; a < arms.size(); a++) {
                runs.addAll(arm(file, fixed.get(a).withFallback(base), dir, arms.get(a), seeds, confirm, finals,
                        budget, rounds));
            }
            Set<String> names = new java.util.HashSet<>();
            for (PlannedRun run : runs) {
                if (!names.add(run.name())) {
                    throw new IllegalArgumentException("two runs would share the directory runs/" + run.name()
                            + " (values that differ only in characters a directory name cannot hold?): "
                            + "make the arm names or values distinct");
                }
            }
            return new StudyPlan(dir, completions, tokens, coreSeconds, seeds, confirm, parallel, arms, finals,
                    runs);
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

    /**
     * The runs of {@code arm}: every setting on the screening seeds, then on the confirmation seeds, then its controls
     * (screening seeds) and its runs at other budgets (every seed).
     */
    private static List<PlannedRun> arm(Path file, Config base, Path dir, Arm arm, List<Long> seeds,
                                        List<Long> confirm, StudyFinals finals, Budget budget, int rounds) {
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
        List<Long> every = new ArrayList<>(seeds);
        every.addAll(confirm);
        for (List<String> setting : settings) {
            for (long seed : seeds) {
                out.add(planned(file, base, dir, arm, setting, seed, Stage.SCREENING, 1, budget, rounds));
            }
            for (long seed : confirm) {
                out.add(planned(file, base, dir, arm, setting, seed, Stage.CONFIRMATION, 1, budget, rounds));
            }
            for (long seed : finals.controls() ? seeds : List.<Long>of()) {
                out.add(planned(file, base, dir, arm, setting, seed, Stage.CONTROL, 1, budget, rounds));
            }
            for (double fraction : finals.budgets()) {
                for (long seed : every) {
                    out.add(planned(file, base, dir, arm, setting, seed, Stage.BUDGET, fraction, budget, rounds));
                }
            }
        }
        return out;
    }

    /**
     * One run: {@code arm} at {@code setting} on {@code seed}; a control learns from shuffled rewards, a budget run
     * gets {@code fraction} of the study's budget (of run.iterations when the study sets none).
     */
    private static PlannedRun planned(Path file, Config base, Path dir, Arm arm, List<String> setting, long seed,
                                      Stage stage, double fraction, Budget studyBudget, int rounds) {
        StringBuilder name = new StringBuilder(arm.name());
        Config run = base;
        for (int a = 0; a < setting.size(); a++) {
            Axis axis = arm.axes().get(a);
            name.append('-').append(setting.get(a).replaceAll("[^A-Za-z0-9.+-]", "_"));
            run = run.withValue(axis.key(), ConfigValueFactory.fromAnyRef(parsedValue(setting.get(a))));
        }
        if (stage == Stage.CONTROL) {
            name.append("-shuffled");
            run = run.withValue("run.control", ConfigValueFactory.fromAnyRef("shuffled-rewards"));
        } else if (stage == Stage.BUDGET) {
            name.append("-x").append(StudyFinals.label(fraction));
        }
        name.append("-seed").append(seed);
        String runName = name.toString();
        Budget budget = studyBudget.times(fraction);
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
        if (DatasetFiles.sameContent(config.eval().datasets().get(0),
                config.eval().datasets().get(1))) {
            throw new IllegalArgumentException("eval.datasets: " + config.eval().datasets().get(0) + " and "
                    + config.eval().datasets().get(1) + " hold the same items: the test set would report what "
                    + "validation chose on; give a separate validation set");
        }
        long per = perIteration(config);
        long iterations = config.iterations(); // the fewest iterations a run takes
        if (studyBudget.none() && fraction != 1) {
            iterations = Math.max(1, Math.round(fraction * iterations));
            run = run.withValue("run.iterations", ConfigValueFactory.fromAnyRef(iterations));
        } else if (budget.completions() > 0) {
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
        return new PlannedRun(runName, arm.name(), arm.method(), setting, seed, stage, fraction, config);
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

    /** A run's budget: completions sampled, tokens generated or core-seconds spent (0: not that one). */
    private record Budget(long completions, long tokens, double coreSeconds) {

        boolean none() {
            return completions == 0 && tokens == 0 && coreSeconds == 0;
        }

        /** This budget times {@code fraction} (a budget run's), at least one completion or token. */
        Budget times(double fraction) {
            return fraction == 1 ? this : new Budget(completions == 0 ? 0 : Math.max(1, Math.round(fraction
                    * completions)), tokens == 0 ? 0 : Math.max(1, Math.round(fraction * tokens)),
                    fraction * coreSeconds);
        }
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
