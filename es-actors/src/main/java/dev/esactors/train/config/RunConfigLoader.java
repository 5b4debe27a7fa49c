package dev.esactors.train.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsReplica;
import dev.esactors.core.es.MasterMemory;
import dev.esactors.core.rl.GrpoSettings;
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

import static dev.esactors.train.config.ConfigKeys.check;
import static dev.esactors.train.config.ConfigKeys.get;
import static dev.esactors.train.config.ConfigKeys.nonNegative;
import static dev.esactors.train.config.ConfigKeys.positive;

/**
 * Reads a run file (HOCON) over {@code es-run-defaults.conf} and validates it up front: unknown keys, wrong
 * types and impossible values are errors that name the key.
 */
public final class RunConfigLoader {

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
            RunConfig.Run run = RunSection.parse(where, c);
            RunConfig.Model model = model(where, c);
            RunConfig.TaskSpec task = task(where, c);
            EsConfig es = EsSection.parse(where, c);
            RunConfig.Checkpointing checkpoint = RunSection.checkpoint(where, c);
            int local = nonNegative(where, "evaluators.local", get(where, "evaluators.local", () -> c.getInt("evaluators.local")));
            RunConfig.Cluster cluster = ClusterSection.cluster(where, c);
            if (cluster.role().equals("evaluator") && local < 1) {
                throw new IllegalArgumentException(where + "evaluators.local must be >= 1 on an evaluator node, got "
                        + local);
            }
            RunConfig.Eval eval = EvalSection.parse(where, c, task);
            RunConfig.Metrics metrics = ClusterSection.metrics(where, c);
            RunConfig.Method method = check(where, "method", () -> GrpoSection.method(c.getString("method")));
            if (method == RunConfig.Method.GRPO && DType.parseWorking(model.dtype()) != DType.F32) {
                // GRPO trains the fp32 weights themselves; a bf16/f16 working copy is ES's, not GRPO's
                throw new IllegalArgumentException(where + "model.dtype = " + model.dtype() + " is ES's working copy: "
                        + "GRPO trains and samples its fp32 weights, so it would be ignored; remove it or set f32");
            }
            if (method == RunConfig.Method.GRPO && !(model.master() instanceof MasterMemory.InMemory)) {
                throw new IllegalArgumentException(where + "model.master places ES's fp32 master; GRPO trains its "
                        + "weights in memory with autograd, so it would be ignored; remove it");
            }
            GrpoSettings grpo = GrpoSection.grpo(where, c);
            String hocon = user.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
            return new RunConfig(run, model, task, es, checkpoint, local,
                    cluster, eval, metrics, method, grpo, new RunConfig.Source(hocon, environmentValues(user.withFallback(defaults), c), notes));
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
        return new RunConfig.Model(dir, dtype, device, noiseCache, master(where, c));
    }

    /**
     * model.master (memory, host or mapped) and, for mapped, model.master-dir (default: the JVM's temporary
     * directory).
     */
    private static MasterMemory master(String where, Config c) {
        String kind = get(where, "model.master", () -> c.getString("model.master")).trim().toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "memory" -> MasterMemory.IN_MEMORY;
            case "host" -> new MasterMemory.Host();
            case "mapped" -> {
                String dir = get(where, "model.master-dir", () -> c.getString("model.master-dir"));
                Path path = Paths.get(dir.isBlank() ? System.getProperty("java.io.tmpdir") : dir);
                if (Files.exists(path) && !Files.isDirectory(path)) {
                    throw new IllegalArgumentException(where + "model.master-dir: '" + path + "' is not a directory");
                }
                yield new MasterMemory.Mapped(path);
            }
            default -> throw new IllegalArgumentException(where + "model.master must be memory, host or mapped, got '"
                    + kind + "'");
        };
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


}
