package dev.esactors.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code es-actors run} as a user runs it: progress, summary, files, resume, and clear errors for bad configs. */
class RunCommandTest {


    @Test
    void aShortRunShowsProgressWritesItsFilesAndResumes(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("r.conf"), """
                task { batch = 4, max-new-tokens = 12, options { word = "the" } }
                es { population = 4 }
                """);
        Path runDir = dir.resolve("run");
        Cli.Result first = Cli.run("run", "--config", config.toString(), "--run-dir", runDir.toString(), "--iterations", "2");
        assertEquals(0, first.code(), first.out() + first.err());
        assertTrue(first.out().contains("iteration   2/2 [####################] reward mean"), first.out());
        assertTrue(first.out().contains("master sha256"), first.out());
        for (String file : new String[] {"report.html", "rewards.csv", "run.conf", "journal.jsonl", "export/model.safetensors"}) {
            assertTrue(Files.exists(runDir.resolve(file)), file);
        }
        assertTrue(Files.readString(runDir.resolve("report.html")).contains("<svg"), "the reward curve is drawn");

        Cli.Result again = Cli.run("run", "--config", config.toString(), "--run-dir", runDir.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already holds a run") && again.err().contains("--resume"), again.err());

        // A resume under another config is refused and changes nothing: a plain resume still works afterwards.
        String saved = Files.readString(runDir.resolve("run.conf"));
        Cli.Result refused = Cli.run("run", "--resume", runDir.toString(), "--set", "es.sigma=0.5");
        assertTrue(refused.code() != 0, refused.out() + refused.err());
        assertTrue((refused.out() + refused.err()).contains("config"), refused.out() + refused.err());
        assertEquals(saved, Files.readString(runDir.resolve("run.conf")), "run.conf is as it was");

        Cli.Result resumed = Cli.run("run", "--resume", runDir.toString(), "--iterations", "3");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("replayed 2 journal records") || resumed.out().contains("resumed from"),
                resumed.out());
        assertTrue(resumed.out().contains("iteration   3/3"), resumed.out());
        assertEquals(3, Files.readAllLines(runDir.resolve("journal.jsonl")).size());
    }

    @Test
    void valuesFromTheEnvironmentAreNeverWrittenInClear(@TempDir Path dir) throws IOException {
        // The build sets ES_TEST_SECRET=hunter for the tests (the parent pom's surefire environment).
        assertEquals("hunter", System.getenv("ES_TEST_SECRET"), "the test's environment");
        Path config = Files.writeString(dir.resolve("r.conf"), """
                task { batch = 2, max-new-tokens = 8, options { word = ${ES_TEST_SECRET} } }
                es { population = 2 }
                """);
        Path runDir = dir.resolve("run");
        Cli.Result run = Cli.run("run", "--config", config.toString(), "--run-dir", runDir.toString(),
                "--iterations", "1", "--evaluators", "0");
        assertEquals(0, run.code(), run.out() + run.err());
        assertTrue(run.out().contains("[from the environment]"), run.out());
        assertTrue(!run.out().contains("hunter"), run.out());
        assertTrue(Files.readString(runDir.resolve("run.json")).contains("[from the environment]"), "marked");
        assertTrue(Files.readString(runDir.resolve("run.conf")).contains("${ES_TEST_SECRET}"), "kept as written");
        try (var files = Files.walk(runDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertTrue(!text.contains("hunter"), file + " holds the value in clear");
            }
        }
        // The config hash still covers the value: the run resumes (same environment) to the next iteration.
        Cli.Result resumed = Cli.run("run", "--resume", runDir.toString(), "--iterations", "2", "--evaluators", "0");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    }

    @Test
    void aFullDiskStopsTheRunSayingSoAndNothingIsLost(@TempDir Path dir) throws Exception {
        // A real full disk: a 1.6 MB tmpfs holds the run's files and one checkpoint of the embedded model (1.05 MB),
        // not a second one. Mounting needs root, which CI has.
        Path disk = Files.createDirectories(dir.resolve("disk"));
        Assumptions.assumeTrue(exec("mount", "-t", "tmpfs", "-o", "size=1600k", "tmpfs", disk.toString()) == 0,
                "mounting a small tmpfs needs root");
        try {
            String[] small = {"--set", "task.batch=2", "--set", "task.max-new-tokens=8", "--set", "es.population=2",
                    "--set", "checkpoint.every=1", "--set", "checkpoint.keep=1"};
            Path runDir = disk.resolve("run");
            Cli.Result full = Cli.run(concat(new String[] {"run", "--run-dir", runDir.toString(), "--iterations",
                    "3"}, small));
            assertEquals(1, full.code(), full.out() + full.err());
            assertTrue(full.err().contains("run failed") && full.err().contains("the disk is full"), full.err());
            assertTrue(!full.out().contains("run failed"), "the error goes to stderr: " + full.out());
            try (var files = Files.walk(runDir)) {
                List<Path> temporary = files.filter(p -> p.getFileName().toString().contains(".tmp")).toList();
                assertEquals(List.of(), temporary, "no half-written file or checkpoint is left");
            }
            assertTrue(Files.isDirectory(runDir.resolve("checkpoints/iter-00000001")), "the last good checkpoint");

            // Space freed, the run resumes to the weights of a run that never stopped.
            assertEquals(0, exec("mount", "-o", "remount,size=16m", disk.toString()));
            Cli.Result resumed = Cli.run(concat(new String[] {"run", "--resume", runDir.toString()}, small));
            assertEquals(0, resumed.code(), resumed.out() + resumed.err());
            Cli.Result whole = Cli.run(concat(new String[] {"run", "--run-dir", dir.resolve("whole").toString(),
                    "--iterations", "3", "--evaluators", "0"}, small));
            assertEquals(sha(whole.out()), sha(resumed.out()));
        } finally {
            exec("umount", disk.toString());
        }
    }

    private static int exec(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }

    @Test
    void withoutEvaluatorsTheRunNeedsNoActorsAndEndsWithTheSameWeights(@TempDir Path dir) {
        String[] small = {"--iterations", "2", "--set", "task.batch=4", "--set", "task.max-new-tokens=12",
                "--set", "es.population=4", "--set", "task.options.word=\"the\""};
        Cli.Result local = Cli.run(concat(new String[] {"run", "--run-dir", dir.resolve("local").toString(),
                "--evaluators", "0"}, small));
        Cli.Result actors = Cli.run(concat(new String[] {"run", "--run-dir", dir.resolve("actors").toString(),
                "--evaluators", "2"}, small));
        assertEquals(0, local.code(), local.out() + local.err());
        assertEquals(0, actors.code(), actors.out() + actors.err());
        assertTrue(actors.out().contains("evaluator local/evaluator-1 joined"), actors.out());
        assertTrue(!local.out().contains("joined"), "no evaluator actors: " + local.out());
        assertTrue(local.out().contains("iteration   2/2 [####################] reward mean"), local.out());
        assertEquals(sha(actors.out()), sha(local.out()));
        assertTrue(Files.exists(dir.resolve("local/export/model.safetensors")), "the run exports as the actors do");
    }

    @Test
    void methodGrpoRunsTheRlArmFromTheCommandLine(@TempDir Path dir) {
        Cli.Result r = Cli.run("run", "--run-dir", dir.resolve("grpo").toString(), "--iterations", "2", "--set",
                "method=grpo", "--set", "task.max-new-tokens=12", "--set", "grpo.prompts=2", "--set",
                "grpo.group-size=4");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("(GRPO): task keyword") && r.out().contains("2 prompts x 4 completions"), r.out());
        assertTrue(r.out().contains("iteration   2/2 [####################] reward mean"), r.out());
        assertTrue(r.out().contains("master sha256"), r.out());
        Cli.Result again = Cli.run("run", "--run-dir", dir.resolve("grpo").toString(), "--set", "method=grpo");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already holds a run") && again.err().contains("--resume"), again.err());
    }

    @Test
    void oneMethodsRunDirectoryIsNeverTakenOverByTheOther(@TempDir Path dir) throws IOException {
        String grpo = dir.resolve("g2").toString();
        String[] small = {"--set", "task.max-new-tokens=8", "--set", "grpo.prompts=2", "--set", "grpo.group-size=2",
                "--set", "task.batch=2", "--set", "es.population=2"};
        Cli.Result trained = Cli.run(concat(new String[] {"run", "--set", "method=grpo", "--iterations", "2",
                "--run-dir", grpo}, small));
        assertEquals(0, trained.code(), trained.out() + trained.err());
        String saved = Files.readString(Path.of(grpo, "run.conf"));
        String checkpoint = Files.readString(Path.of(grpo, "checkpoints/iter-00000002/state.json"));

        Cli.Result es = Cli.run(concat(new String[] {"run", "--iterations", "2", "--run-dir", grpo}, small));
        assertEquals(2, es.code(), es.out() + es.err());
        assertTrue(es.err().contains("already holds a run") && es.err().contains("--resume"), es.err());

        Cli.Result switched = Cli.run("run", "--resume", grpo, "--set", "method=es");
        assertTrue(switched.code() != 0, switched.out() + switched.err());
        assertTrue(switched.err().contains("belongs to config hash"), switched.err());
        assertEquals(saved, Files.readString(Path.of(grpo, "run.conf")), "run.conf is as it was");
        assertEquals(checkpoint, Files.readString(Path.of(grpo, "checkpoints/iter-00000002/state.json")));
        assertTrue(!Files.exists(Path.of(grpo, "journal.jsonl")), "no ES journal was started there");

        Cli.Result resumed = Cli.run("run", "--resume", grpo, "--iterations", "3");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resumed from checkpoint") && resumed.out().contains("(step 2)"),
                resumed.out());

        // And the other way round: an ES directory refuses a GRPO run.
        String esDir = dir.resolve("e2").toString();
        assertEquals(0, Cli.run(concat(new String[] {"run", "--iterations", "1", "--run-dir", esDir}, small)).code());
        Cli.Result grpoOverEs = Cli.run("run", "--resume", esDir, "--set", "method=grpo");
        assertTrue(grpoOverEs.code() != 0, grpoOverEs.out() + grpoOverEs.err());
        assertTrue(grpoOverEs.err().contains("belongs to config hash"), grpoOverEs.err());
    }

    private static String sha(String out) {
        return out.lines().filter(l -> l.startsWith("master sha256 ")).findFirst().orElseThrow(() ->
                new AssertionError("no master sha256 in " + out));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void theRewardSummaryComparesBlocksOfIterationsNotSingleBatches() {
        List<Double> means = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            means.add(i < 10 ? 0.1 : i < 20 ? 9.0 : 0.5);
        }
        means.set(29, 5.5); // a lucky last batch moves the last block's mean, not the whole comparison
        assertEquals("mean reward 0.100 -> 1.000 (first and last 10 iterations)", RunCommand.rewardTrend(means));
        assertEquals("mean reward 0.200 -> 0.400 (first and last 2 iterations)",
                RunCommand.rewardTrend(List.of(0.1, 0.3, 0.3, 0.5)));
        assertEquals("mean reward 0.700 -> 0.700 (first and last 1 iteration)", RunCommand.rewardTrend(List.of(0.7)));
    }

    @Test
    void aBusyMetricsPortIsAClearErrorAndSetOverridesAnyKey(@TempDir Path dir) throws IOException {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Cli.Result r = Cli.run("run", "--run-dir", dir.resolve("run").toString(), "--iterations", "1",
                    "--set", "metrics.port=" + busy.getLocalPort());
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().contains("metrics: cannot listen on 127.0.0.1:" + busy.getLocalPort()), r.err());
        }
        Cli.Result bad = Cli.run("run", "--set", "metrics.port");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--set needs KEY=VALUE"), bad.err());
        Cli.Result unknown = Cli.run("run", "--set", "metrics.prot=1");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("error: the command line: unknown key 'metrics.prot'"), unknown.err());
        Cli.Result wrong = Cli.run("run", "--set", "es.population=many");
        assertTrue(wrong.err().startsWith("error: the command line: es.population"), wrong.err());
    }

    @Test
    void aRunRefusesToEvaluateOnItsTrainingItems(@TempDir Path dir) throws IOException {
        Path eval = Files.writeString(dir.resolve("eval.jsonl"), """
                {"id": "fresh", "prompt": "A purple whale"}
                {"id": "leak", "prompt": "Once upon a time"}
                """);
        Cli.Result r = Cli.run("run", "--run-dir", dir.resolve("run").toString(), "--set",
                "eval.datasets=[\"" + eval + "\"]");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("shares 1 item(s) with the training items") && r.err().contains("e.g. leak"),
                r.err());
        assertTrue(!Files.exists(dir.resolve("run")), "nothing was started");

        // a validation dataset only chooses weights, but a leaked item would still make the choice optimistic
        Path clean = Files.writeString(dir.resolve("clean.jsonl"), "{\"id\": \"fresh\", \"prompt\": \"A purple whale\"}\n");
        Cli.Result leak = Cli.run("run", "--run-dir", dir.resolve("run").toString(), "--set",
                "eval.datasets=[\"" + clean + "\"]", "--set", "eval.every=1", "--set", "eval.validation=\"" + eval + "\"");
        assertEquals(2, leak.code(), leak.out() + leak.err());
        assertTrue(leak.err().contains("eval.validation: " + eval + " shares 1 item(s)"), leak.err());
        assertTrue(!Files.exists(dir.resolve("run")), "nothing was started");
    }

    @Test
    void aBadDatasetLineIsAnErrorNamingFileAndLineBeforeAnythingStarts(@TempDir Path dir) throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), """
                {"id": "a", "question": "Once upon a time", "answer": "there was a cat."}
                {"id": "b", "question": "One day", "answer": "Tom went out."}
                {"broken":
                """);
        Cli.Result r = Cli.run("run", "--iterations", "2", "--run-dir", dir.resolve("run").toString(), "--set",
                "task.name=conciseness", "--set", "task.dataset=\"" + bad + "\"");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(bad + ":3"), r.err());
        assertTrue(!Files.exists(dir.resolve("run")), "nothing was started");
        // JSON nested 100,000 deep overflowed Jackson's recursive parser, and the StackOverflowError ended the JVM
        Path deep = Files.writeString(dir.resolve("deep.jsonl"), "{\"question\": \"q\", \"answer\": \"a\"}\n"
                + "[".repeat(100_000) + "\n");
        Cli.Result d = Cli.run("run", "--iterations", "2", "--run-dir", dir.resolve("run").toString(), "--set",
                "task.name=conciseness", "--set", "task.dataset=\"" + deep + "\"");
        assertEquals(2, d.code(), d.out() + d.err());
        assertTrue(d.err().contains(deep + ":2") && d.err().contains("nested too deeply"), d.err());
    }

    @Test
    void badConfigsExitNonZeroNamingTheKey(@TempDir Path dir) throws IOException {
        Path unknown = Files.writeString(dir.resolve("u.conf"), "es { sigmaa = 0.1 }");
        Cli.Result r = Cli.run("run", "--config", unknown.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown key 'es.sigmaa'"), r.err());
        Path model = Files.writeString(dir.resolve("m.conf"), "model.path = \"" + dir.resolve("nothing") + "\"");
        Cli.Result m = Cli.run("run", "--config", model.toString());
        assertEquals(2, m.code());
        assertTrue(m.err().contains("model.path"), m.err());
        Path population = Files.writeString(dir.resolve("p.conf"), "es.population = 0");
        Cli.Result p = Cli.run("run", "--config", population.toString());
        assertEquals(2, p.code());
        assertTrue(p.err().contains("es.population"), p.err());
        Path type = Files.writeString(dir.resolve("t.conf"), "run.iterations = many");
        Cli.Result t = Cli.run("run", "--config", type.toString());
        assertEquals(2, t.code());
        assertTrue(t.err().contains("run.iterations"), t.err());
    }

    @Test
    void settingsTheModelCannotSatisfyAreRefusedBeforeAnythingStarts(@TempDir Path dir) {
        Path run = dir.resolve("run");
        for (String[] bad : new String[][] {
                {"task.max-new-tokens=10000000", "task.max-new-tokens: 10000000 new tokens do not fit the model's "
                        + "context of"},
                {"es.parameters=\"nothing-is-called-this\"", "es.parameters: 'nothing-is-called-this' selects none of "
                        + "the model's"},
                {"es.sigma=1e308", "sigma must be in (0, 1], got 1.0E308"},
                {"es.alpha=5", "alpha must be in (0, 1], got 5.0"}}) {
            Cli.Result r = Cli.run("run", "--iterations", "1", "--run-dir", run.toString(), "--set", bad[0]);
            assertEquals(2, r.code(), bad[0] + ": " + r.out() + r.err());
            assertTrue(r.err().contains(bad[1]), r.err());
            assertTrue(!Files.exists(run), "nothing was started");
        }
    }
}
