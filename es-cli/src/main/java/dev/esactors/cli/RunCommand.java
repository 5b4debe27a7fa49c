package dev.esactors.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.esactors.actors.node.EsNode;
import dev.esactors.core.io.DirectoryLock;
import dev.esactors.train.RunDirectory;
import dev.esactors.train.RunEvent;
import dev.esactors.train.RunLauncher;
import dev.esactors.train.RunReport;
import dev.esactors.train.TaskPrompts;
import dev.esactors.train.config.ModelFit;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import dev.esactors.train.eval.TrainTestSplit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code es-actors run}: an ES run, in one JVM by default, or as one node of an Akka cluster. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run ES fine-tuning: by default everything in this JVM (coordinator + local evaluators) on the "
                + "embedded stories260K; --role joins a cluster.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "run file (HOCON); default: built-in defaults")
    Path config;

    @Option(names = "--preset", paramLabel = "NAME", description = "a run file shipped in configs/, e.g. sudoku4")
    String preset;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue the run in DIR (uses DIR/run.conf)")
    Path resume;

    @Option(names = "--iterations", description = "override run.iterations")
    Integer iterations;

    @Option(names = "--evaluators", description = "override evaluators.local; 0: the whole run in this thread, "
            + "without actors (same weights)")
    Integer evaluators;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "override run.dir")
    Path runDir;

    @Option(names = "--role", description = "standalone (default), coordinator or evaluator")
    String role;

    @Option(names = "--host", description = "override cluster.host")
    String host;

    @Option(names = "--port", description = "override cluster.port")
    Integer port;

    @Option(names = "--seed-nodes", split = ",", description = "override cluster.seed-nodes, e.g. akka://es-actors@127.0.0.1:2551")
    List<String> seedNodes;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override any run-file key, e.g. "
            + "--set metrics.port=9400 (the value is HOCON: numbers, strings, durations, lists)")
    List<String> sets;

    @Spec
    CommandSpec spec;

    private long startNanos;
    private final List<Double> iterationMeans = new java.util.ArrayList<>();
    /** Updates this process saw skipped (no signal). */
    private int skippedUpdates;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        RunConfig run = RunConfigLoader.load(runFile(), overrides());
        // Every dataset line is read before anything starts: bad input is exit 2 here, not a failed actor later.
        ModelFit.check(run);
        // Every training prompt is tokenized now and must fit the model with its answer: a bad tokenizer.json or a
        // prompt too long is exit 2 before anything starts rather than a failed evaluator or a failed iteration.
        TaskPrompts.checkFit(run);
        TrainTestSplit.check(run);
        EsNode.akkaConfig(run); // opens the TLS stores: a wrong password is exit 2 here, not a failing handshake
        if (run.cluster().standalone()) { // a standby coordinator waits for its run directory by design
            DirectoryLock.checkFree(run.dir());
            // Cluster coordinators resume by design (a standby takes over a lost coordinator's run directory).
            if (resume == null) {
                RunDirectory.requireNoRun(run.dir());
            }
        }
        out.println(header(run));
        run.source().notes().forEach(note -> out.println("note: " + note));
        out.flush();
        startNanos = System.nanoTime();
        RunEvent last = RunLauncher.run(run, EsNode::run, event -> show(out, event));
        out.flush();
        return last instanceof RunEvent.RunFinished || last instanceof RunEvent.NodeStopped ? 0 : 1;
    }

    /** The run's first line; values from the environment are not shown (they may be secrets). */
    private static String header(RunConfig run) {
        return run.shown(describe(run));
    }

    private static String describe(RunConfig run) {
        if (run.method() == RunConfig.Method.GRPO) {
            return String.format(Locale.ROOT, "es-actors run '%s' (GRPO): task %s %s, %d prompts x %d completions per "
                    + "step, learning rate %s, %d steps, run dir %s", run.id(), run.task().name(), run.task().options(),
                    run.grpo().prompts(), run.grpo().groupSize(), run.grpo().learningRate(), run.iterations(),
                    run.dir());
        }
        return String.format(Locale.ROOT, "es-actors run '%s': task %s %s, population %d, sigma %s, alpha %s, %d "
                        + "iterations, %d local evaluator(s), role %s, run dir %s", run.id(), run.task().name(),
                run.task().options(), run.es().populationSize(), run.es().sigma(), run.es().alphaDescription(),
                run.iterations(), run.localEvaluators(), run.cluster().role(), run.dir());
    }

    private Path runFile() {
        if (preset != null) {
            if (config != null || resume != null) {
                throw new IllegalArgumentException("--preset cannot be combined with --config or --resume");
            }
            Path file = Path.of(System.getProperty("es.home", "."), "configs", preset + ".conf");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no preset '" + preset + "' (" + file + "); presets: the files in configs/");
            }
            config = file;
            return file;
        }
        if (resume != null) {
            Path saved = resume.resolve(RunDirectory.RUN_FILE);
            if (!Files.isRegularFile(saved)) {
                throw new IllegalArgumentException(resume + ": no run.conf, so this is not a run directory to resume");
            }
            return saved;
        }
        return config;
    }

    /** Command-line overrides; without an explicit run.dir a fresh, timestamped one is used. */
    Config overrides() {
        Config o = ConfigFactory.empty();
        for (String set : sets == null ? List.<String>of() : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + set + "'");
            }
            try {
                o = ConfigFactory.parseString(set.substring(0, eq).trim() + " = " + set.substring(eq + 1)).withFallback(o);
            } catch (com.typesafe.config.ConfigException e) {
                throw new IllegalArgumentException("--set " + set + ": " + e.getMessage(), e);
            }
        }
        if (iterations != null) {
            o = o.withValue("run.iterations", ConfigValueFactory.fromAnyRef(iterations));
        }
        if (evaluators != null) {
            o = o.withValue("evaluators.local", ConfigValueFactory.fromAnyRef(evaluators));
        }
        if (role != null) {
            o = o.withValue("cluster.role", ConfigValueFactory.fromAnyRef(role));
        }
        if (host != null) {
            o = o.withValue("cluster.host", ConfigValueFactory.fromAnyRef(host));
        }
        if (port != null) {
            o = o.withValue("cluster.port", ConfigValueFactory.fromAnyRef(port));
        }
        if (seedNodes != null) {
            o = o.withValue("cluster.seed-nodes", ConfigValueFactory.fromIterable(seedNodes));
        }
        if (resume != null) {
            o = o.withValue("run.dir", ConfigValueFactory.fromAnyRef(resume.toString()));
        } else if (runDir != null) {
            o = o.withValue("run.dir", ConfigValueFactory.fromAnyRef(runDir.toString()));
        } else if (!fileSetsRunDir() && !o.hasPath("run.dir")) { // --set run.dir=... is explicit too
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            o = o.withValue("run.dir", ConfigValueFactory.fromAnyRef("runs/run-" + stamp));
        }
        return o;
    }

    private boolean fileSetsRunDir() {
        return config != null && Files.isRegularFile(config) && RunConfigLoader.parseFile(config).hasPath("run.dir");
    }

    private void show(PrintWriter out, RunEvent event) {
        if (event instanceof RunEvent.IterationDone d) {
            showIteration(out, d);
        } else if (event instanceof RunEvent.HeldOut h) {
            String sampled = h.samples() == 0 ? "" : String.format(Locale.ROOT, ", pass@%d %s, maj@%d %s", h.samples(),
                    RunReport.percent(h.passAtK()), h.samples(), RunReport.percent(h.majority()));
            if (!Double.isNaN(h.klToBase())) {
                sampled += String.format(Locale.ROOT, ", KL to base %.4f", h.klToBase());
            }
            if (!h.drift().isEmpty()) {
                StringBuilder drift = new StringBuilder();
                h.drift().forEach((g, v) -> drift.append(drift.length() == 0 ? "" : " ").append(g).append(' ')
                        .append(String.format(Locale.ROOT, "%.2f%%", 100 * v)));
                sampled += ", drift " + drift;
            }
            for (var other : h.others().entrySet()) {
                sampled += String.format(Locale.ROOT, ", %s %.1f%% (reward %.3f)", other.getKey(),
                        100 * other.getValue().accuracy(), other.getValue().meanReward());
            }
            out.printf(Locale.ROOT, "held-out %s after %d iterations: accuracy %.1f%%, mean reward %.3f%s (best %.1f%% at "
                            + "%d, kept in best/)%n", h.dataset().getFileName(), h.iteration(), 100 * h.accuracy(),
                    h.meanReward(), sampled, 100 * h.bestAccuracy(), h.bestIteration());
        } else if (event instanceof RunEvent.Note n) {
            out.println("note: " + n.message());
        } else if (event instanceof RunEvent.RunFinished f) {
            String rewards = iterationMeans.isEmpty() ? "no new iterations (the run was already complete)"
                    : rewardTrend(iterationMeans);
            String skipped = skippedUpdates == 0 ? "" : String.format("; %d update(s) skipped for want of signal "
                    + "(every reward the same)", skippedUpdates);
            out.printf(Locale.ROOT, "done: %d iterations in %s; %s%s%nmaster sha256 %s%nreport %s%nmodel  %s%n",
                    f.iterations(), clock((System.nanoTime() - startNanos) / 1e9), rewards, skipped, f.masterHash(),
                    f.report(), f.exported());
            dev.esactors.train.RunReport.evaluationLines(f.evaluation()).forEach(out::println);
        } else if (event instanceof RunEvent.RunFailed f) {
            out.flush(); // the progress so far, before the error that ends it
            spec.commandLine().getErr().println("run failed: " + f.reason());
        } else if (event instanceof RunEvent.NodeStopped s) {
            out.println("evaluator node stopped: " + s.reason());
        }
        out.flush();
    }

    /**
     * The mean reward of the first and of the last k iterations (k = 10, or half of a shorter run): one iteration's
     * batch is too small a sample to compare two of them.
     */
    static String rewardTrend(List<Double> means) {
        int k = Math.max(1, Math.min(10, means.size() / 2));
        double first = means.subList(0, k).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = means.subList(means.size() - k, means.size()).stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow();
        return String.format(Locale.ROOT, "mean reward %.3f -> %.3f (first and last %d iteration%s)", first, last, k,
                k == 1 ? "" : "s");
    }

    /** One progress line: iteration, bar, reward mean and max, evaluations per second, ETA, and any faults. */
    private void showIteration(PrintWriter out, RunEvent.IterationDone d) {
        iterationMeans.add(d.meanReward());
        int done = (int) d.iteration() + 1;
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        double eta = elapsed / done * (d.iterations() - done);
        int width = 20;
        int filled = (int) Math.round((double) width * done / d.iterations());
        String faults = d.failed() + d.reissued() + d.duplicates() + d.stale() == 0 ? ""
                : String.format(" | failed %d, reissued %d, duplicates %d, stale %d", d.failed(), d.reissued(),
                d.duplicates(), d.stale());
        skippedUpdates += d.skipped() ? 1 : 0;
        out.printf(Locale.ROOT, "iteration %3d/%d [%s%s] reward mean %.3f max %.3f | %.1f evals/s | ETA %s%s%s%n",
                done, d.iterations(), "#".repeat(filled), ".".repeat(width - filled), d.meanReward(), d.maxReward(),
                d.evaluationsPerSecond(), clock(eta), faults, d.skipped() ? " | no signal, update skipped" : "");
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
