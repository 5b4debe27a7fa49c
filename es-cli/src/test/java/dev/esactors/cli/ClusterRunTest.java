package dev.esactors.cli;

import com.typesafe.config.ConfigFactory;
import dev.esactors.actors.node.EsNode;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfigLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real separate JVMs over loopback: an evaluator node killed with SIGKILL mid-iteration, and a coordinator killed
 * and resumed, both end with the weights of an uninterrupted run.
 */
class ClusterRunTest {

    private static final String RUN = """
            run { id = "jvm-test", iterations = 4, member-deadline = 20s }
            task { batch = 16, max-new-tokens = 64, options { word = "the" } }
            es { population = 12, sigma = 0.05, alpha = 0.02 }
            checkpoint.every = 2
            """;
    private static final Pattern HASH = Pattern.compile("master sha256 ([0-9a-f]{64})");

    @TempDir
    static Path root;
    private static Path config;
    private static String reference;
    private final List<Process> processes = new ArrayList<>();

    /** The uninterrupted run, in this JVM. */
    @BeforeAll
    static void uninterrupted() throws IOException {
        config = Files.writeString(root.resolve("run.conf"), RUN);
        RunEvent last = EsNode.run(RunConfigLoader.load(config, ConfigFactory.parseMap(Map.of(
                "run.dir", root.resolve("reference").toString(), "evaluators.local", 2))), e -> { });
        assertInstanceOf(RunEvent.RunFinished.class, last);
        reference = ((RunEvent.RunFinished) last).masterHash();
    }

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), EsActorsCommand.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        builder.environment().put("OPENBLAS_NUM_THREADS", "1");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process p = builder.start();
        processes.add(p);
        return p;
    }

    private static String await(Path log, Predicate<String> condition, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (condition.test(text)) {
                return text;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + seconds + " s waiting on " + log + ":\n"
                + (Files.exists(log) ? Files.readString(log) : "(no output)"));
    }

    private static String hash(String output) {
        Matcher m = HASH.matcher(output);
        assertTrue(m.find(), "no final hash in:\n" + output);
        return m.group(1);
    }

    private static final Pattern METRICS = Pattern.compile("metrics at (http://\\S+)");

    /** es_evaluator_members_total of a node's (only) evaluator, from its /metrics endpoint. */
    private static double membersDone(URI metrics) throws IOException, InterruptedException {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^es_evaluator_members_total\\{.*} (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /**
     * A coordinator JVM on a free port (log {@code <prefix>coordinator.log}, run directory {@code runDir}) and
     * {@code evaluators} evaluator JVMs joining it (logs {@code <prefix>evaluator-<i>.log}, given {@code extra}
     * arguments); the coordinator first.
     */
    private List<Process> startCluster(String prefix, String runDir, int evaluators, String... extra)
            throws IOException {
        int port = freePort();
        String seed = "akka://es-actors@127.0.0.1:" + port;
        List<Process> nodes = new ArrayList<>();
        // The coordinator is given no seed nodes: it founds the cluster itself.
        nodes.add(start(root.resolve(prefix + "coordinator.log"), "run", "--config", config.toString(), "--role",
                "coordinator", "--port", String.valueOf(port), "--run-dir", root.resolve(runDir).toString()));
        for (int i = 0; i < evaluators; i++) {
            List<String> args = new ArrayList<>(List.of("run", "--config", config.toString(), "--role", "evaluator",
                    "--port", "0", "--seed-nodes", seed));
            args.addAll(List.of(extra));
            nodes.add(start(root.resolve(prefix + "evaluator-" + i + ".log"), args.toArray(String[]::new)));
        }
        return nodes;
    }

    /** SIGKILLs {@code process} once {@code file} has {@code lines} lines; returns how many it had then. */
    private static int killAfterLines(Process process, Path file, int lines) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while ((!Files.exists(file) || Files.readAllLines(file).size() < lines) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return Files.readAllLines(file).size();
    }

    /** {@code run --resume dir} in a new JVM, which must finish; its output. */
    private String resumeToTheEnd(Path dir, Path log) throws Exception {
        Process resumed = start(log, "run", "--resume", dir.toString());
        String output = await(log, text -> text.contains("master sha256") || text.contains("error"), 240);
        assertTrue(resumed.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, resumed.exitValue(), output);
        return output;
    }

    private static int count(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void anEvaluatorJvmKilledMidIterationLosesNoWork() throws Exception {
        Path coordinatorLog = root.resolve("coordinator.log");
        List<Process> nodes = startCluster("", "cluster", 3);
        Process coordinator = nodes.get(0);
        List<Process> evaluators = nodes.subList(1, nodes.size());
        await(coordinatorLog, text -> text.contains("iteration   1/4") && count(text, " joined at iteration") == 3, 180);
        // Each iteration keeps all three evaluators busy for seconds (4 members each). Once the victim has finished
        // a member of the second iteration (its metrics say so), it has asked for and taken the next one: SIGKILL
        // it then, while it holds a member. (A fixed sleep missed that moment on a loaded machine.)
        URI metrics = URI.create(METRICS.matcher(await(root.resolve("evaluator-1.log"),
                text -> METRICS.matcher(text).find(), 60)).results().findFirst().orElseThrow().group(1));
        double before = membersDone(metrics);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (membersDone(metrics) == before && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        evaluators.get(1).destroyForcibly();
        assertTrue(evaluators.get(1).waitFor(30, TimeUnit.SECONDS));
        String output = await(coordinatorLog, text -> text.contains("master sha256"), 240);
        assertTrue(coordinator.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, coordinator.exitValue(), output);
        assertEquals(reference, hash(output), output);
        assertTrue(Pattern.compile("left; [1-9]\\d* member\\(s\\) issued again").matcher(output).find(),
                "the killed node's member was issued again:\n" + output);
    }

    @Test
    void aLostCoordinatorNodeIsReplacedThroughShardingAndTheRunFinishesWithTheSameHash() throws Exception {
        int portA = freePort();
        int portB = freePort();
        String seeds = "akka://es-actors@127.0.0.1:" + portA + ",akka://es-actors@127.0.0.1:" + portB;
        String dir = root.resolve("failover").toString(); // shared storage of the two coordinator nodes
        Path logA = root.resolve("coordinator-a.log");
        Path logB = root.resolve("coordinator-b.log");
        Process a = start(logA, "run", "--config", config.toString(), "--role", "coordinator", "--port",
                String.valueOf(portA), "--seed-nodes", seeds, "--run-dir", dir);
        Process b = start(logB, "run", "--config", config.toString(), "--role", "coordinator", "--port",
                String.valueOf(portB), "--seed-nodes", seeds, "--run-dir", dir);
        for (int i = 0; i < 2; i++) {
            start(root.resolve("failover-evaluator-" + i + ".log"), "run", "--config", config.toString(), "--role",
                    "evaluator", "--port", "0", "--seed-nodes", seeds);
        }
        // Whichever coordinator node hosts the entity prints the progress: kill that one mid-run.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        Process host = null;
        Path survivorLog = null;
        while (host == null && System.nanoTime() < end) {
            if (Files.exists(logA) && Files.readString(logA).contains("iteration   2/4")) {
                host = a;
                survivorLog = logB;
            } else if (Files.exists(logB) && Files.readString(logB).contains("iteration   2/4")) {
                host = b;
                survivorLog = logA;
            }
            Thread.sleep(50);
        }
        assertTrue(host != null, "no coordinator reached iteration 2:\n" + Files.readString(logA) + Files.readString(logB));
        host.destroyForcibly();
        String output = await(survivorLog, text -> text.contains("master sha256"), 300);
        assertEquals(reference, hash(output), output);
        assertTrue(output.contains("resumed from checkpoint") || output.contains("replayed"), output);
    }

    @Test
    void evaluatorNodesExitWhenTheirCoordinatorIsGoneForGood() throws Exception {
        Path coordinatorLog = root.resolve("lonely-coordinator.log");
        List<Process> nodes = startCluster("lonely-", "lonely", 2, "--set", "cluster.coordinator-wait=3s");
        Process coordinator = nodes.get(0);
        List<Process> evaluators = nodes.subList(1, nodes.size());
        await(coordinatorLog, text -> count(text, " joined at iteration") == 2, 180);
        coordinator.destroyForcibly();
        // The two evaluator nodes are the majority: the split brain resolver downs the coordinator, and 3 s later
        // each node exits with 1, so that a supervisor restarts it into a replacement coordinator's cluster.
        for (int i = 0; i < 2; i++) {
            Path log = root.resolve("lonely-evaluator-" + i + ".log");
            assertTrue(evaluators.get(i).waitFor(120, TimeUnit.SECONDS), Files.readString(log));
            assertEquals(1, evaluators.get(i).exitValue(), Files.readString(log));
            assertTrue(Files.readString(log).contains("no coordinator node in the cluster for 3 s"),
                    Files.readString(log));
        }
    }

    @Test
    void aCoordinatorKilledMidRunAndResumedReachesTheSameHash() throws Exception {
        Path dir = root.resolve("crashed");
        Path first = root.resolve("first.log");
        Process run = start(first, "run", "--config", config.toString(), "--run-dir", dir.toString(), "--evaluators",
                "2");
        // One writer per run directory: a second run on it is refused, naming the first, and changes nothing.
        await(first, text -> Files.exists(dir.resolve("journal.jsonl")) && Files.exists(dir.resolve("run.conf")),
                120);
        Cli.Result second = Cli.run("run", "--resume", dir.toString());
        assertEquals(2, second.code(), second.out() + second.err());
        assertTrue(second.err().contains("run directory " + dir + " is in use by another run (pid " + run.pid()
                + " on "), second.err());
        int done = killAfterLines(run, dir.resolve("journal.jsonl"), 2); // SIGKILL in the middle of the run
        assertTrue(done >= 2 && done < 4, "killed mid-run after " + done + " iterations:\n" + Files.readString(first));
        String output = resumeToTheEnd(dir, root.resolve("resumed.log"));
        assertEquals(reference, hash(output), output);
        assertTrue(output.contains("replayed") || output.contains("resumed from checkpoint"), output);
        assertTrue(new File(dir.toFile(), "report.html").isFile());
    }

    @Test
    void aGrpoRunKilledWithSigkillAndResumedReachesTheUninterruptedHash() throws Exception {
        Path grpo = Files.writeString(root.resolve("grpo.conf"), """
                method = "grpo"
                run.iterations = 8
                checkpoint.every = 2
                task { max-new-tokens = 24, options { word = "happy" } }
                grpo { prompts = 4, group-size = 8, learning-rate = 1e-3 }
                """);
        RunEvent alone = dev.esactors.train.RunLoop.run(RunConfigLoader.load(grpo, ConfigFactory.parseMap(Map.of(
                "run.dir", root.resolve("grpo-reference").toString()))), e -> { });
        String uninterrupted = assertInstanceOf(RunEvent.RunFinished.class, alone, alone.toString()).masterHash();
        Path dir = root.resolve("grpo-crashed");
        Path first = root.resolve("grpo-first.log");
        Path history = dir.resolve("grpo-rewards.txt");
        Process run = start(first, "run", "--config", grpo.toString(), "--run-dir", dir.toString());
        int done = killAfterLines(run, history, 3); // SIGKILL between checkpoints
        assertTrue(done >= 3 && done < 8, "killed mid-run after " + done + " steps:\n" + Files.readString(first));
        String output = resumeToTheEnd(dir, root.resolve("grpo-resumed.log"));
        assertTrue(output.contains("resumed from checkpoint"), output);
        assertEquals(uninterrupted, hash(output), output);
        assertEquals(8, Files.readAllLines(history).size(), "each step's rewards once");
    }

    @Test
    void aStudyKilledMidwayContinuesWithTheRunsItLacks() throws Exception {
        Path study = Files.writeString(root.resolve("study.conf"), """
                task { name = "keyword", options { word = "happy" }, batch = 4, max-new-tokens = 12 }
                es.population = 4
                eval { datasets = ["%s", "%s"], batch = 24 }
                grpo { prompts = 2, group-size = 4 }
                study {
                  seeds = [1, 2]
                  confirm-seeds = [3]
                  completions = 32
                  held-out-rounds = 2
                  es { axis = "es.alpha", values = [0.01] }
                  grpo { axis = "grpo.learning-rate", values = [1e-3] }
                }
                """.formatted(Path.of("data/keyword/validation.jsonl").toAbsolutePath(), // es-cli's tests run
                Path.of("data/keyword/test.jsonl").toAbsolutePath()));                    // in the repository root
        Cli.Result whole = Cli.run("study", "--config", study.toString(), "--dir", root.resolve("study-whole")
                .toString());
        assertEquals(0, whole.code(), whole.out() + whole.err());
        List<String> expected = Files.readAllLines(root.resolve("study-whole/summary.csv"));
        assertEquals(7, expected.size(), "a header, the 2 x 2 screening runs and a confirmation run per arm");
        for (String line : expected.subList(1, expected.size())) {
            // each run in a process of its own, which measured it: tokens generated (and trained on, GRPO only),
            // core-seconds and peak resident memory
            String[] f = line.split(",");
            assertTrue(Double.parseDouble(f[14]) > 0, line);
            assertEquals(f[2].equals("es"), Double.parseDouble(f[15]) == 0, line);
            assertTrue(Double.parseDouble(f[16]) > 0 && Long.parseLong(f[17]) > 50_000_000L, line);
            assertTrue(Files.readString(root.resolve("study-whole/runs/" + f[0] + "/study-run.log"))
                    .contains("study run " + f[0] + " finished"), "its own log");
            // which test items it got right, for the paired comparison: one character per test opening (24)
            assertEquals(24, Files.readString(root.resolve("study-whole/runs/" + f[0] + "/test-items.txt")).trim()
                    .length(), line);
        }
        assertTrue(whole.out().contains("(confirmation)") && whole.out().contains("paired: "), whole.out());
        String report = Files.readString(root.resolve("study-whole/report.html"));
        assertTrue(report.contains("<h2>Training reward</h2>") && report.contains("<h2>Held-out accuracy</h2>")
                && report.contains("<polygon"), "curves with a band over the seeds");

        Path dir = root.resolve("study-killed");
        Process first = start(root.resolve("study-first.log"), "study", "--config", study.toString(), "--dir",
                dir.toString());
        killAfterLines(first, dir.resolve("runs/es-0.01-seed1/result.json"), 1); // SIGKILL after the first run
        assertTrue(!Files.exists(dir.resolve("summary.csv")), "killed before the end");
        Cli.Result rest = Cli.run("study", "--config", study.toString(), "--dir", dir.toString());
        assertEquals(0, rest.code(), rest.out() + rest.err());
        assertTrue(rest.out().contains("run 1/6 es-0.01-seed1: done before, kept"), rest.out());
        List<String> resumed = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals(expected.size(), resumed.size());
        for (int i = 1; i < expected.size(); i++) {
            String[] a = expected.get(i).split(",");
            String[] b = resumed.get(i).split(",");
            assertEquals(a[0] + " " + a[a.length - 1], b[0] + " " + b[b.length - 1], "the same runs, the same weights");
            assertEquals(a[10] + " " + a[11], b[10] + " " + b[11], "and the same test scores");
        }
        assertTrue(rest.out().contains("test accuracy") && Files.isRegularFile(dir.resolve("report.html")));

        // Two runs at a time (study.parallel), each in its own process: the same runs, the same weights and scores
        Path parallel = Files.writeString(root.resolve("study-parallel.conf"), Files.readString(study)
                .replace("held-out-rounds = 2", "held-out-rounds = 2\n  parallel = 2"));
        Cli.Result both = Cli.run("study", "--config", parallel.toString(), "--dir", root.resolve("study-parallel")
                .toString());
        assertEquals(0, both.code(), both.out() + both.err());
        assertTrue(both.out().contains("6 runs (2 at a time)"), both.out());
        List<String> inParallel = Files.readAllLines(root.resolve("study-parallel/summary.csv"));
        assertEquals(expected.size(), inParallel.size());
        for (int i = 1; i < expected.size(); i++) {
            String[] a = expected.get(i).split(",");
            String[] b = inParallel.get(i).split(",");
            assertEquals(a[0] + " " + a[a.length - 1] + " " + a[10], b[0] + " " + b[b.length - 1] + " " + b[10],
                    "in parallel: the same run, weights and test score as one after another");
        }
    }
}
