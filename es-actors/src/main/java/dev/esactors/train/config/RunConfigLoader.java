package dev.esactors.train.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import dev.esactors.core.es.AlphaSchedule;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.rl.GrpoSettings;
import dev.esactors.core.es.EsReplica;
import dev.esactors.core.es.FitnessShaping;
import dev.esactors.core.es.NoiseMode;
import dev.esactors.core.es.ParameterFilter;
import dev.esactors.core.es.Perturbation;
import dev.esactors.core.es.UpdateRule;
import dev.esactors.core.torch.DType;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.catalog.Tasks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads a run file (HOCON) over {@code es-run-defaults.conf} and validates it up front: unknown keys, wrong
 * types and impossible values are errors that name the key.
 */
public final class RunConfigLoader {

    /** A cluster node's address: akka://es-actors@host:port (the host may be an [IPv6] literal). */
    private static final Pattern SEED_NODE = Pattern.compile("akka://es-actors@(\\[[0-9A-Fa-f:.]+]|[^:@/\\s]+)"
            + ":\\d{1,5}");

    private RunConfigLoader() {
    }

    /** The run described by {@code file} (null: the defaults alone), with {@code overrides} on top. */
    public static RunConfig load(Path file, Config overrides) {
        Config user = overrides;
        // Without a file, an error is in a command-line value (--set, --iterations, ...), not in the defaults.
        String source = overrides.isEmpty() ? "the defaults" : "the command line";
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + ": run file not found");
            }
            user = overrides.withFallback(parseFile(file));
            source = file.toString();
        }
        try {
            return parse(user, source);
        } catch (StackOverflowError e) { // HOCON resolves and renders nesting by recursion
            throw new IllegalArgumentException(source + ": nested too deeply", e);
        }
    }

    /** Parses a run or study file as HOCON: a missing file is an error, and includes stay local. */
    public static Config parseFile(Path file) {
        requireSmall(file.toFile());
        try {
            // Absolute, so that a relative include is looked up next to the file even for a bare name like "run.conf".
            return ConfigFactory.parseFile(file.toAbsolutePath().toFile(), LocalIncludes.options());
        } catch (ConfigException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        } catch (StackOverflowError e) { // HOCON parses nesting by recursion
            throw new IllegalArgumentException(file + ": nested too deeply", e);
        }
    }

    /** The largest run or study file read: HOCON's parser takes time quadratic in a line's tokens (20 s at 600 KB). */
    static final long MAX_FILE_BYTES = 256 * 1024;

    /** Refuses a run file (or an included one) over {@link #MAX_FILE_BYTES}: no hand-written run file is that big. */
    static void requireSmall(java.io.File file) {
        if (file.length() > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + ": " + file.length() + " bytes; a run file is at most "
                    + MAX_FILE_BYTES / 1024 + " KiB");
        }
    }

    /**
     * Keys that moved, by their old names: run-level settings that steer every method once sat in the es block. Run
     * files and run directories written before still load (run.conf is rewritten with the new names on a resume).
     */
    static final Map<String, String> MOVED = Map.of("es.seed", "run.seed", "es.control", "run.control");

    /** Validates {@code user} against the defaults and builds the run config; {@code source} names it in errors. */
    public static RunConfig parse(Config user, String source) {
        Config defaults = ConfigFactory.parseResources(RunConfigLoader.class, "/es-run-defaults.conf");
        String where = source + ": ";
        java.util.List<String> notes = new java.util.ArrayList<>();
        Config c;
        try { // a substitution nothing resolves is HOCON's error, named as every other one is
            user = moved(user, source, notes);
            for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
                String key = entry.getKey();
                if (!key.startsWith("task.options.") && !defaults.hasPathOrNull(key)) {
                    throw new IllegalArgumentException(source + ": unknown key '" + key + "'");
                }
            }
            c = user.withFallback(defaults).resolve();
        } catch (ConfigException e) { // HOCON names the file and line itself where it knows them
            throw new IllegalArgumentException(e.getMessage().startsWith(source) ? e.getMessage()
                    : where + e.getMessage(), e);
        }
        try {
            String id = get(where, "run.id", () -> c.getString("run.id"));
            Path dir = Paths.get(get(where, "run.dir", () -> c.getString("run.dir")));
            int iterations = positive(where, "run.iterations", get(where, "run.iterations", () -> c.getInt("run.iterations")));
            long tokenBudget = get(where, "run.token-budget", () -> c.getLong("run.token-budget"));
            if (tokenBudget < 0) {
                throw new IllegalArgumentException(where + "run.token-budget must be >= 0, got " + tokenBudget);
            }
            Duration deadline = get(where, "run.member-deadline", () -> c.getDuration("run.member-deadline"));
            RunConfig.Model model = model(where, c);
            RunConfig.TaskSpec task = task(where, c);
            EsConfig es = es(where, c);
            int every = nonNegative(where, "checkpoint.every", get(where, "checkpoint.every", () -> c.getInt("checkpoint.every")));
            int keep = positive(where, "checkpoint.keep", get(where, "checkpoint.keep", () -> c.getInt("checkpoint.keep")));
            int local = nonNegative(where, "evaluators.local", get(where, "evaluators.local", () -> c.getInt("evaluators.local")));
            RunConfig.Cluster cluster = cluster(where, c);
            if (cluster.role().equals("evaluator") && local < 1) {
                throw new IllegalArgumentException(where + "evaluators.local must be >= 1 on an evaluator node, got "
                        + local);
            }
            java.util.List<Path> evalDatasets = new java.util.ArrayList<>();
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
            java.util.List<RunConfig.ExtraEval> extra = extra(where, c, task);
            if (!extra.isEmpty() && evalDatasets.isEmpty()) {
                throw new IllegalArgumentException(where + "eval.extra needs eval.datasets: its rows stand next to "
                        + "the run's own task's in the base-vs-trained table");
            }
            RunConfig.Metrics metrics = metrics(where, c);
            RunConfig.Method method = check(where, "method", () -> method(c.getString("method")));
            GrpoSettings grpo = grpo(where, c);
            String hocon = user.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
            return new RunConfig(id, dir, iterations, tokenBudget, deadline, model, task, es, every, keep, local,
                    cluster, evalDatasets, evalBatch, evalEvery, validation, finalWeights, evalSampling, klPrompts,
                    extra, metrics,
                    method, grpo,
                    new RunConfig.Source(hocon, environmentValues(user.withFallback(defaults), c), notes));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    /** {@code user} with each {@link #MOVED} key under its new name, and a note for each; both names must agree. */
    private static Config moved(Config user, String source, java.util.List<String> notes) {
        for (Map.Entry<String, String> key : new java.util.TreeMap<>(MOVED).entrySet()) {
            String old = key.getKey();
            String now = key.getValue();
            if (!user.hasPathOrNull(old)) {
                continue;
            }
            ConfigValue value = user.getValue(old);
            // Compared as text: HOCON reads 8 as an int in one place and a long in another.
            if (user.hasPathOrNull(now) && !String.valueOf(user.getValue(now).unwrapped())
                    .equals(String.valueOf(value.unwrapped()))) {
                throw new IllegalArgumentException(source + ": " + old + " (the old name of " + now + ") = "
                        + value.render() + " disagrees with " + now + " = " + user.getValue(now).render()
                        + "; keep " + now + " only");
            }
            notes.add(source + ": " + old + " is now " + now + " (a run-level setting, for every method); read as "
                    + now);
            user = user.withoutPath(old).withValue(now, value);
            String block = old.substring(0, old.indexOf('.'));
            if (user.getObject(block).isEmpty()) {
                user = user.withoutPath(block); // not an empty es { } in the saved run.conf
            }
        }
        return user;
    }

    /** The values in {@code resolved} that differ when {@code unresolved} is resolved without the environment. */
    private static Set<String> environmentValues(Config unresolved, Config resolved) {
        Config withoutEnvironment = unresolved.resolve(ConfigResolveOptions.defaults()
                .setUseSystemEnvironment(false).setAllowUnresolved(true));
        Set<String> values = new HashSet<>();
        for (Map.Entry<String, ConfigValue> entry : resolved.entrySet()) {
            boolean same;
            try {
                same = withoutEnvironment.hasPath(entry.getKey())
                        && withoutEnvironment.getValue(entry.getKey()).equals(entry.getValue());
            } catch (ConfigException.NotResolved e) {
                same = false; // only the environment could resolve it
            }
            if (!same) {
                collect(entry.getValue().unwrapped(), values);
            }
        }
        return values;
    }

    private static void collect(Object unwrapped, Set<String> values) {
        if (unwrapped instanceof List<?> list) {
            list.forEach(item -> collect(item, values));
        } else if (unwrapped instanceof Map<?, ?> map) {
            map.values().forEach(item -> collect(item, values));
        } else if (unwrapped != null) {
            values.add(unwrapped.toString());
        }
    }

    /**
     * A replica's noise cache budget in bytes from its text: a size (HOCON's: "512 MiB", "1g", "0") or auto
     * ({@link EsReplica#NOISE_CACHE_DEFAULT}).
     */
    public static long noiseCache(String text) {
        if (text.trim().equalsIgnoreCase("auto")) {
            return EsReplica.NOISE_CACHE_DEFAULT;
        }
        try {
            return ConfigFactory.parseMap(Map.of("size", text)).getMemorySize("size").toBytes();
        } catch (ConfigException | IllegalArgumentException e) { // a negative size is the latter
            throw new IllegalArgumentException("must be a size (512 MiB, 0 = none) or auto, got '" + text + "'", e);
        }
    }

    private static RunConfig.Model model(String where, Config c) {
        String path = get(where, "model.path", () -> c.getString("model.path"));
        Path dir = path.isBlank() ? null : Paths.get(path);
        if (dir != null && !Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException(where + "model.path: no config.json in '" + path + "'");
        }
        String dtype = get(where, "model.dtype", () -> c.getString("model.dtype"));
        check(where, "model.dtype", () -> DType.parseWorking(dtype));
        String device = get(where, "model.device", () -> c.getString("model.device")).toLowerCase(Locale.ROOT);
        if (!device.equals("cpu") && !device.equals("cuda")) {
            throw new IllegalArgumentException(where + "model.device must be cpu or cuda, got '" + device + "'");
        }
        String cache = get(where, "model.noise-cache", () -> c.getString("model.noise-cache"));
        long noiseCache;
        try {
            noiseCache = noiseCache(cache);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "model.noise-cache " + e.getMessage(), e);
        }
        return new RunConfig.Model(dir, dtype, device, noiseCache);
    }

    private static RunConfig.TaskSpec task(String where, Config c) {
        String name = get(where, "task.name", () -> c.getString("task.name"));
        Map<String, String> options = new LinkedHashMap<>();
        Config optionConfig = get(where, "task.options", () -> c.getConfig("task.options"));
        for (Map.Entry<String, ConfigValue> e : optionConfig.entrySet()) {
            options.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
        }
        check(where, "task", () -> Tasks.create(name, options));
        String dataset = get(where, "task.dataset", () -> c.getString("task.dataset"));
        Path datasetPath = dataset.isBlank() ? null : Paths.get(dataset);
        if (datasetPath != null && !Files.exists(datasetPath)) {
            throw new IllegalArgumentException(where + "task.dataset: '" + dataset + "' not found");
        }
        int batch = positive(where, "task.batch", get(where, "task.batch", () -> c.getInt("task.batch")));
        int maxNew = positive(where, "task.max-new-tokens", get(where, "task.max-new-tokens", () -> c.getInt("task.max-new-tokens")));
        String template = get(where, "task.template", () -> c.getString("task.template"));
        check(where, "task.template", () -> ChatTemplate.parse(template));
        return new RunConfig.TaskSpec(name, options, datasetPath, batch, maxNew, template,
                get(where, "task.system", () -> c.getString("task.system")));
    }

    private static EsConfig es(String where, Config c) {
        int population = get(where, "es.population", () -> c.getInt("es.population"));
        double sigma = get(where, "es.sigma", () -> c.getDouble("es.sigma"));
        double alpha = get(where, "es.alpha", () -> c.getDouble("es.alpha"));
        FitnessShaping shaping = switch (get(where, "es.shaping", () -> c.getString("es.shaping")).toLowerCase(Locale.ROOT)) {
            case "zscore", "z-score" -> FitnessShaping.ZSCORE;
            case "centered-ranks", "ranks" -> FitnessShaping.CENTERED_RANKS;
            case "per-prompt" -> FitnessShaping.PER_PROMPT;
            case "none" -> FitnessShaping.NONE;
            default -> throw new IllegalArgumentException(where + "es.shaping must be zscore, centered-ranks, "
                    + "per-prompt or none, got '" + c.getString("es.shaping") + "'");
        };
        boolean antithetic = get(where, "es.antithetic", () -> c.getBoolean("es.antithetic"));
        NoiseMode noise = switch (get(where, "es.noise", () -> c.getString("es.noise")).toLowerCase(Locale.ROOT)) {
            case "per-tensor" -> NoiseMode.PER_TENSOR;
            case "shared-seed" -> NoiseMode.SHARED_SEED;
            default -> throw new IllegalArgumentException(where + "es.noise must be per-tensor or shared-seed, got '"
                    + c.getString("es.noise") + "'");
        };
        String parameters = get(where, "es.parameters", () -> c.getString("es.parameters"));
        ParameterFilter filter = switch (parameters) {
            case "all" -> ParameterFilter.ALL;
            case "matrices" -> ParameterFilter.MATRICES;
            default -> check(where, "es.parameters", () -> ParameterFilter.matching(parameters));
        };
        double decay = get(where, "es.weight-decay", () -> c.getDouble("es.weight-decay"));
        String rule = get(where, "es.update", () -> c.getString("es.update")).toLowerCase(Locale.ROOT);
        UpdateRule update = switch (rule) {
            case "plain" -> check(where, "es.weight-decay", () -> new UpdateRule.Plain(decay));
            case "adam" -> check(where, "es.weight-decay", () -> new UpdateRule.Adam(0.9, 0.999, 1e-8, decay));
            default -> throw new IllegalArgumentException(where + "es.update must be plain or adam, got '" + rule + "'");
        };
        long seed = get(where, "run.seed", () -> c.getLong("run.seed"));
        String control = get(where, "run.control", () -> c.getString("run.control")).toLowerCase(Locale.ROOT);
        if (!control.equals("none") && !control.equals("shuffled-rewards")) {
            throw new IllegalArgumentException(where + "run.control must be none or shuffled-rewards, got '" + control
                    + "'");
        }
        String mode = get(where, "es.perturbation", () -> c.getString("es.perturbation")).toLowerCase(Locale.ROOT);
        int rank = get(where, "es.rank", () -> c.getInt("es.rank"));
        int perPass = get(where, "es.members-per-pass", () -> c.getInt("es.members-per-pass"));
        Perturbation perturbation = switch (mode) {
            case "full-rank" -> Perturbation.FULL;
            case "low-rank" -> check(where, "es.rank / es.members-per-pass", () -> new Perturbation.LowRank(rank, perPass));
            default -> throw new IllegalArgumentException(where + "es.perturbation must be full-rank or low-rank, got '"
                    + mode + "'");
        };
        String scheduleName = get(where, "es.alpha-schedule", () -> c.getString("es.alpha-schedule"))
                .toLowerCase(Locale.ROOT);
        double finalAlpha = get(where, "es.alpha-final", () -> c.getDouble("es.alpha-final"));
        int decayIterations = get(where, "es.alpha-decay-iterations", () -> c.getInt("es.alpha-decay-iterations"));
        int horizon = decayIterations > 0 ? decayIterations : get(where, "run.iterations", () -> c.getInt("run.iterations"));
        AlphaSchedule schedule = switch (scheduleName) {
            case "constant" -> AlphaSchedule.CONSTANT;
            case "cosine" -> check(where, "es.alpha-final / es.alpha-decay-iterations",
                    () -> new AlphaSchedule.Cosine(finalAlpha, horizon));
            default -> throw new IllegalArgumentException(where + "es.alpha-schedule must be constant or cosine, got '"
                    + scheduleName + "'");
        };
        double anchorDecay = get(where, "es.anchor-decay", () -> c.getDouble("es.anchor-decay"));
        if (!(anchorDecay >= 0) || !(alpha * anchorDecay <= 1)) {
            throw new IllegalArgumentException(where + "es.anchor-decay must be >= 0 and at most 1 / es.alpha (each "
                    + "update moves the weights by alpha x anchor-decay of their distance to the base), got "
                    + anchorDecay);
        }
        return check(where, "es.population / es.sigma / es.alpha / es.antithetic / es.noise",
                () -> new EsConfig(population, sigma, alpha, shaping, antithetic, noise, filter, update, seed,
                        control.equals("shuffled-rewards"), perturbation, schedule, anchorDecay));
    }

    /** eval.validation: null when empty; otherwise an existing file, scored every eval.every, and not a table dataset. */
    private static Path validation(String where, Config c, java.util.List<Path> datasets, int every) {
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
            if (d.toAbsolutePath().normalize().equals(normalized)) {
                throw new IllegalArgumentException(where + "eval.validation '" + name + "' is also in eval.datasets: "
                        + "weights chosen on a dataset make its reported score optimistic; give a separate one");
            }
        }
        return file;
    }

    /**
     * eval.extra: a list of {task, dataset, options, max-new-tokens, template, system}; the last four default to the
     * run's task block. Each task is created and its dataset read now, so that a mistake is found before the run.
     */
    private static java.util.List<RunConfig.ExtraEval> extra(String where, Config c, RunConfig.TaskSpec own) {
        java.util.List<RunConfig.ExtraEval> out = new java.util.ArrayList<>();
        java.util.List<? extends Config> entries = get(where, "eval.extra", () -> c.getConfigList("eval.extra"));
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

    private static RunConfig.Metrics metrics(String where, Config c) {
        int port = get(where, "metrics.port", () -> c.getInt("metrics.port"));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(where + "metrics.port must be in [0, 65535], got " + port);
        }
        Duration linger = get(where, "metrics.linger", () -> c.getDuration("metrics.linger"));
        if (linger.isNegative()) {
            throw new IllegalArgumentException(where + "metrics.linger must be >= 0, got " + linger);
        }
        return new RunConfig.Metrics(get(where, "metrics.enabled", () -> c.getBoolean("metrics.enabled")),
                get(where, "metrics.host", () -> c.getString("metrics.host")), port, linger);
    }

    private static RunConfig.Cluster cluster(String where, Config c) {
        String role = get(where, "cluster.role", () -> c.getString("cluster.role")).toLowerCase(Locale.ROOT);
        if (!role.equals("standalone") && !role.equals("coordinator") && !role.equals("evaluator")) {
            throw new IllegalArgumentException(where + "cluster.role must be standalone, coordinator or evaluator, got '"
                    + role + "'");
        }
        int port = get(where, "cluster.port", () -> c.getInt("cluster.port"));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(where + "cluster.port must be in [0, 65535], got " + port);
        }
        List<String> seeds = get(where, "cluster.seed-nodes", () -> c.getStringList("cluster.seed-nodes"));
        for (String seed : seeds) {
            if (!SEED_NODE.matcher(seed).matches()) {
                throw new IllegalArgumentException(where + "cluster.seed-nodes: '" + seed + "' is not a node "
                        + "address like akka://es-actors@10.0.0.5:2551");
            }
        }
        if (role.equals("evaluator") && seeds.isEmpty()) {
            throw new IllegalArgumentException(where + "cluster.seed-nodes is empty: an evaluator node joins its "
                    + "coordinator through them (--seed-nodes akka://es-actors@HOST:PORT)");
        }
        return new RunConfig.Cluster(role, get(where, "cluster.host", () -> c.getString("cluster.host")), port,
                seeds,
                get(where, "cluster.bind-host", () -> c.getString("cluster.bind-host")),
                get(where, "cluster.coordinator-wait", () -> c.getDuration("cluster.coordinator-wait")),
                tls(where, c));
    }

    private static RunConfig.Tls tls(String where, Config c) {
        boolean enabled = get(where, "cluster.tls.enabled", () -> c.getBoolean("cluster.tls.enabled"));
        Path keyStore = tlsStore(where, c, "cluster.tls.key-store", enabled);
        Path trustStore = tlsStore(where, c, "cluster.tls.trust-store", enabled);
        String keyPassword = passwordSource(where, c, "cluster.tls.key-store-password");
        String trustPassword = passwordSource(where, c, "cluster.tls.trust-store-password");
        return new RunConfig.Tls(enabled, keyStore, trustStore, keyPassword, trustPassword);
    }

    private static Path tlsStore(String where, Config c, String key, boolean enabled) {
        String value = get(where, key, () -> c.getString(key));
        if (enabled && value.isBlank()) {
            throw new IllegalArgumentException(where + key + " is required when cluster.tls.enabled is on");
        }
        if (enabled && !Files.isRegularFile(Paths.get(value))) {
            throw new IllegalArgumentException(where + key + ": '" + value + "' not found");
        }
        return value.isBlank() ? null : Paths.get(value);
    }

    /** A password's source: env:VAR or file:PATH; the password itself is refused, so it is never saved in run.conf. */
    private static String passwordSource(String where, Config c, String key) {
        String value = get(where, key, () -> c.getString(key));
        if (!value.matches("env:[A-Za-z_][A-Za-z0-9_]*|file:.+")) {
            throw new IllegalArgumentException(where + key + " must say where the password is, as env:VAR or "
                    + "file:PATH, not be the password (it would be saved in run.conf and shown in the process list)");
        }
        return value;
    }

    private static RunConfig.Method method(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "es" -> RunConfig.Method.ES;
            case "grpo" -> RunConfig.Method.GRPO;
            default -> throw new IllegalArgumentException("must be es or grpo, got '" + value + "'");
        };
    }

    private static GrpoSettings grpo(String where, Config c) {
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

    /** Reads a key, turning the library's type errors into one line that names the key. */
    private static <T> T get(String where, String key, Supplier<T> read) {
        try {
            return read.get();
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(where + key + " has the wrong type: " + e.getMessage(), e);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + key + ": " + e.getMessage(), e);
        }
    }

    /** Runs a constructor or parser, prefixing its complaint with the key at fault. */
    private static <T> T check(String where, String key, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + key + ": " + e.getMessage(), e);
        }
    }

    private static int positive(String where, String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(where + key + " must be >= 1, got " + value);
        }
        return value;
    }

    private static int nonNegative(String where, String key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(where + key + " must be >= 0, got " + value);
        }
        return value;
    }
}
