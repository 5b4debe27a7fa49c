package dev.esactors.train;

import com.typesafe.config.ConfigFactory;
import dev.esactors.core.io.DirectoryLock;
import dev.esactors.core.state.RunManifest;
import dev.esactors.core.torch.Torch;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GRPO on the embedded stories260K: a short run raises the keyword reward, the same way every time. */
class GrpoRunTest {

    @TempDir
    static Path root;

    private static RunConfig config(Path dir, Map<String, Object> extra) {
        Map<String, Object> values = new HashMap<>(Map.of("method", "grpo", "run.dir", dir.toString(),
                "run.iterations", 8, "task.max-new-tokens", 24, "grpo.prompts", 4, "grpo.group-size", 8,
                "grpo.learning-rate", 1e-3));
        values.put("task.options.word", "happy");
        values.putAll(extra);
        return RunConfigLoader.parse(ConfigFactory.parseMap(values), "test config");
    }

    private static List<Double> means(List<RunEvent> events) {
        return events.stream().filter(e -> e instanceof RunEvent.IterationDone)
                .map(e -> ((RunEvent.IterationDone) e).meanReward()).toList();
    }

    @Test
    void aShortRunRaisesTheKeywordRewardAndRepeatsBitForBit() throws Exception {
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = RunLoop.run(config(root.resolve("a"), Map.of()), events::add);
        RunEvent.RunFinished a = assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        List<Double> means = means(events);
        assertEquals(8, means.size());
        double first = (means.get(0) + means.get(1) + means.get(2)) / 3;
        double lastThree = (means.get(5) + means.get(6) + means.get(7)) / 3;
        assertTrue(lastThree > first + 0.5, "the mean reward rises: " + means);
        assertTrue(Files.isRegularFile(a.exported().resolve("model.safetensors")), "the model is exported");
        assertTrue(Files.readString(a.report()).contains("GRPO: 4 prompts x 8 completions"), "the report says how");

        RunEvent.RunFinished b = assertInstanceOf(RunEvent.RunFinished.class,
                RunLoop.run(config(root.resolve("b"), Map.of()), e -> { }));
        assertEquals(a.masterHash(), b.masterHash(), "seeded sampling and one order of operations: the same weights");
        RunEvent.RunFinished other = assertInstanceOf(RunEvent.RunFinished.class,
                RunLoop.run(config(root.resolve("c"), Map.of("run.iterations", 2, "run.seed", 4)), e -> { }));
        assertNotEquals(a.masterHash(), other.masterHash());

        // The control learns from the same step's rewards shuffled across its completions: no signal, no rise.
        List<RunEvent> control = new ArrayList<>();
        RunLoop.run(config(root.resolve("control"), Map.of("run.control", "shuffled-rewards")), control::add);
        List<Double> controlMeans = means(control);
        assertEquals(8, controlMeans.size(), control.toString());
        double controlLast = (controlMeans.get(5) + controlMeans.get(6) + controlMeans.get(7)) / 3;
        assertTrue(controlLast < lastThree / 2, "the control does not learn: " + controlMeans + " against " + means);
    }

    @Test
    void heldOutRoundsChooseTheBestWeightsAndCountsAreKeptAcrossAResume() throws Exception {
        Path validation = Files.writeString(root.resolve("validation.jsonl"), """
                {"id": "v1", "prompt": "She went to"}
                {"id": "v2", "prompt": "He looked at"}
                {"id": "v3", "prompt": "They played in"}
                """);
        Path test = Files.writeString(root.resolve("test.jsonl"), """
                {"id": "t1", "prompt": "The dog ran to"}
                """);
        Map<String, Object> rounds = Map.of("run.iterations", 6, "eval.every", 2, "checkpoint.every", 2,
                "eval.datasets", List.of(test.toString()), "eval.validation", validation.toString(),
                "eval.final-weights", "best", "eval.batch", 4);
        List<RunEvent> events = new ArrayList<>();
        RunEvent.RunFinished whole = assertInstanceOf(RunEvent.RunFinished.class,
                RunLoop.run(config(root.resolve("rounds"), rounds), events::add), events.toString());
        List<RunEvent.HeldOut> heldOut = events.stream().filter(e -> e instanceof RunEvent.HeldOut)
                .map(e -> (RunEvent.HeldOut) e).toList();
        assertEquals(List.of(2L, 4L, 6L), heldOut.stream().map(RunEvent.HeldOut::iteration).toList());
        RunEvent.HeldOut last = heldOut.get(heldOut.size() - 1);
        assertTrue(Files.isDirectory(root.resolve("rounds/best")), "the best weights are kept");
        // eval.final-weights = best: the table's weights are named after the step validation chose
        assertEquals("GRPO@" + last.bestIteration(), whole.evaluation().get(0).tuned().model());

        double[] counts = StepLog.totals(root.resolve("rounds"));
        assertEquals(6 * 4 * 8, counts[0], "completions sampled");
        assertTrue(counts[1] > 0 && counts[2] >= counts[1], "tokens generated, and trained on (with the EOS "
                + "token a completion chose): " + Arrays.toString(counts));

        // Stopped after step 4's checkpoint, then run to the end: the same weights, held-out curve and counts.
        Path resumed = root.resolve("rounds-resumed");
        assertInstanceOf(RunEvent.RunFinished.class, RunLoop.run(config(resumed, withIterations(rounds, 4)),
                e -> { }));
        // as if it had started on another kind of machine: the resume says so, and still runs
        Path manifest = resumed.resolve(RunManifest.FILE);
        String here = Torch.kernels();
        Files.writeString(manifest, Files.readString(manifest).replace(here, "ATen AVX512, OpenBLAS Cooperlake"));
        List<RunEvent> after = new ArrayList<>();
        RunEvent.RunFinished end = assertInstanceOf(RunEvent.RunFinished.class,
                RunLoop.run(config(resumed, rounds), after::add), after.toString());
        assertTrue(after.stream().anyMatch(e -> e instanceof RunEvent.Note n && n.message().contains("resumed")));
        assertTrue(after.stream().anyMatch(e -> e instanceof RunEvent.Note n && n.message().contains(
                "started on other CPU kernels (ATen AVX512, OpenBLAS Cooperlake) than this process runs (" + here
                        + ")")), after.toString());
        assertEquals(whole.masterHash(), end.masterHash());
        assertEquals(Files.readString(root.resolve("rounds").resolve(EvaluationSchedule.HELD_OUT)),
                Files.readString(resumed.resolve(EvaluationSchedule.HELD_OUT)),
                "the held-out curve, with the rounds before the resume");
        assertEquals(Arrays.toString(counts), Arrays.toString(StepLog.totals(resumed)));
    }

    private static Map<String, Object> withIterations(Map<String, Object> values, int iterations) {
        Map<String, Object> out = new HashMap<>(values);
        out.put("run.iterations", iterations);
        return out;
    }

    @Test
    void aSecondWriterIsRefusedWhileARunHoldsItsDirectory() {
        Path dir = root.resolve("locked");
        try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
            RunEvent refused = RunLoop.run(config(dir, Map.of("run.iterations", 1)), e -> { });
            RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, refused);
            assertTrue(failed.reason().contains("run directory " + dir + " is in use by another run (pid "),
                    failed.reason());
        }
        assertInstanceOf(RunEvent.RunFinished.class, RunLoop.run(config(dir, Map.of("run.iterations", 1)), e -> { }),
                "free again once the holder lets go");
    }

    @Test
    void aModelThatCannotLoadLeavesTheRunDirectoryFree() throws Exception {
        Path model = Files.createDirectories(root.resolve("damaged-model"));
        Path embedded = dev.esactors.core.model.EmbeddedModel.directory();
        for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            if (Files.exists(embedded.resolve(file))) {
                Files.copy(embedded.resolve(file), model.resolve(file));
            }
        }
        Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3}); // not a safetensors file
        Path dir = root.resolve("damaged");
        RunEvent refused = RunLoop.run(config(dir, Map.of("run.iterations", 1, "model.path", model.toString())),
                e -> { });
        assertInstanceOf(RunEvent.RunFailed.class, refused);
        assertTrue(!Files.exists(dir.resolve("run.json")) && !Files.exists(dir.resolve("run.conf")),
                "nothing claims the directory, so the next attempt may use it: " + refused);
        assertInstanceOf(RunEvent.RunFinished.class, RunLoop.run(config(dir, Map.of("run.iterations", 1)), e -> { }),
                "and with a model that loads, it does");
    }

    @Test
    void aKlPenaltyAndSeveralPassesRun() {
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = RunLoop.run(config(root.resolve("kl"), Map.of("run.iterations", 2, "grpo.kl-beta", 0.04,
                "grpo.passes", 2, "grpo.advantage-scaling", "none", "grpo.loss-aggregation", "seq-mean-token-sum")),
                events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        assertEquals(2, means(events).size());
    }

    @Test
    void aDivergedStepStopsTheRunBeforeAnythingIsWritten() {
        // Issue 37, case 2: these settings drove the weights to NaN, and the run ended with exit 0, a hash and an
        // export of NaN tensors. Now it stops at the diverged pass, before its weights are checkpointed or exported.
        Path dir = root.resolve("diverged");
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = RunLoop.run(config(dir, Map.of("run.iterations", 2, "grpo.kl-beta", 1000,
                "grpo.learning-rate", 1, "grpo.passes", 3)), events::add);
        RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, last, events.toString());
        assertTrue(failed.reason().contains("GRPO diverged"), failed.reason());
        assertFalse(Files.exists(dir.resolve("export")), "no export of diverged weights");
        assertTrue(events.stream().noneMatch(e -> e instanceof RunEvent.RunFinished), "no hash of them either");
    }

    @Test
    void badGrpoSettingsAreRefusedByKey() {
        for (Map.Entry<String, Object> bad : Map.<String, Object>of("grpo.group-size", 1, "grpo.temperature", 0,
                "grpo.top-p", 1.5, "grpo.learning-rate", -1, "grpo.clip-epsilon", 1, "grpo.passes", 0,
                "grpo.kl-beta", -0.1, "grpo.advantage-scaling", "mean", "grpo.loss-aggregation", "sum",
                "grpo.adam-beta2", 1).entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> config(root.resolve("bad"), Map.of(bad.getKey(), bad.getValue())), bad.toString());
            assertTrue(e.getMessage().startsWith("test config: " + bad.getKey()), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> config(root.resolve("bad"), Map.of("grpo.lr", 0.1)));
        assertTrue(unknown.getMessage().contains("unknown key 'grpo.lr'"), unknown.getMessage());
        IllegalArgumentException method = assertThrows(IllegalArgumentException.class,
                () -> config(root.resolve("bad"), Map.of("method", "ppo")));
        assertTrue(method.getMessage().contains("method") && method.getMessage().contains("es or grpo"),
                method.getMessage());
    }
}
