package dev.esactors.actors;

import dev.esactors.actors.node.EsNode;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateJournal;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The actors produce the weights of the single-process loop, bit for bit, whatever the number of evaluators. */
class DeterminismTest {

    @TempDir
    static Path root;
    private static String loopHash;
    private static String baseHash;

    /** The reference: the single-process ES loop with the same fitness code the evaluators use. */
    @BeforeAll
    static void singleProcessLoop() {
        RunConfig config = TestRuns.small(root.resolve("loop"), 1, Map.of());
        baseHash = BaseModel.load(config, DeviceSpec.CPU).replica().masterHash();
        loopHash = TestRuns.loopHash(config);
        assertNotEquals(baseHash, loopHash, "the loop moved the weights");
    }

    private static RunEvent.RunFinished runActors(String name, int evaluators) {
        return runActors(name, evaluators, Map.of());
    }

    private static RunEvent.RunFinished runActors(String name, int evaluators, Map<String, Object> extra) {
        RunConfig config = TestRuns.small(root.resolve(name), evaluators, extra);
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = EsNode.run(config, events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        assertEquals(3, events.stream().filter(e -> e instanceof RunEvent.IterationDone).count());
        return (RunEvent.RunFinished) last;
    }

    @Test
    void oneLocalEvaluatorGivesTheLoopsHash() {
        assertEquals(loopHash, runActors("one", 1).masterHash());
    }

    @Test
    void threeLocalEvaluatorsGiveTheLoopsHash() {
        RunEvent.RunFinished finished = runActors("three", 3);
        assertEquals(loopHash, finished.masterHash());
        assertTrue(finished.report().toFile().isFile(), "the run report is written");
        assertTrue(finished.exported().resolve("model.safetensors").toFile().isFile(), "the model is exported");
    }

    @Test
    void mastersMappedToAFileGiveTheLoopsHash() throws java.io.IOException {
        // The coordinator's replica and both evaluators' keep their fp32 masters in mapped files (unlinked once
        // mapped: the directory is left empty).
        Path files = java.nio.file.Files.createDirectories(root.resolve("mapped-files"));
        RunEvent.RunFinished mapped = runActors("mapped", 2, Map.of("model.master", "mapped", "model.master-dir",
                files.toString()));
        assertEquals(loopHash, mapped.masterHash());
        try (java.util.stream.Stream<Path> left = java.nio.file.Files.list(files)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void aCosineScheduleStepsAlikeInTheLoopAndAcrossEvaluators() {
        Map<String, Object> cosine = Map.of("es.alpha-schedule", "cosine", "es.alpha-final", 0.005);
        RunConfig config = TestRuns.small(root.resolve("cosine-loop"), 1, cosine);
        String loop = TestRuns.loopHash(config);
        RunEvent.RunFinished three = runActors("cosine-three", 3, cosine);
        assertEquals(loop, three.masterHash(), "evaluators rebuild each update with its iteration's alpha");
        assertNotEquals(loopHash, loop, "a decaying alpha takes other steps");
        try (UpdateJournal journal = UpdateJournal.open(root.resolve("cosine-three").resolve("journal.jsonl"))) {
            List<Update> updates = journal.records();
            for (Update u : updates) {
                assertEquals(config.es().alphaAt(u.iteration()), u.alpha(), 0, "journalled alpha, iteration "
                        + u.iteration());
            }
            assertEquals(0.02, updates.get(0).alpha(), 0);
            assertTrue(updates.get(2).alpha() < updates.get(1).alpha(), "alpha falls");
        }
    }

    @Test
    void theSingleThreadRunMatchesTheActorsThroughEvaluationRoundsAndBestWeights() throws java.io.IOException {
        Path test = java.nio.file.Files.writeString(root.resolve("rounds-test.jsonl"), """
                {"id": "t1", "prompt": "The dog ran to"}
                {"id": "t2", "prompt": "Anna and the"}
                """);
        Path validation = java.nio.file.Files.writeString(root.resolve("rounds-validation.jsonl"), """
                {"id": "v1", "prompt": "She went to"}
                {"id": "v2", "prompt": "He looked at"}
                {"id": "v3", "prompt": "They played in"}
                """);
        Map<String, Object> rounds = Map.of("run.iterations", 4, "eval.every", 2, "eval.datasets",
                List.of(test.toString()), "eval.validation", validation.toString(), "eval.final-weights", "best");
        List<RunEvent> localEvents = new ArrayList<>();
        RunEvent local = dev.esactors.train.RunLoop.run(TestRuns.small(root.resolve("rounds-local"), 0, rounds),
                localEvents::add);
        List<RunEvent> actorEvents = new ArrayList<>();
        RunEvent actors = EsNode.run(TestRuns.small(root.resolve("rounds-actors"), 2, rounds), actorEvents::add);
        RunEvent.RunFinished a = assertInstanceOf(RunEvent.RunFinished.class, local, localEvents.toString());
        RunEvent.RunFinished b = assertInstanceOf(RunEvent.RunFinished.class, actors, actorEvents.toString());
        assertEquals(b.masterHash(), a.masterHash());
        assertEquals(heldOut(actorEvents), heldOut(localEvents), "the same held-out scores and best choices");
        assertEquals(scores(b.evaluation().get(0).base()), scores(a.evaluation().get(0).base()));
        assertEquals(scores(b.evaluation().get(0).tuned()), scores(a.evaluation().get(0).tuned()));
        assertEquals(dev.esactors.core.io.Sha256.of(b.exported().resolve("model.safetensors")),
                dev.esactors.core.io.Sha256.of(a.exported().resolve("model.safetensors")), "the same weights exported");
    }

    /** A summary's scores, without its speed. */
    private static String scores(dev.esactors.train.eval.Evaluation.Summary s) {
        return s.model() + " " + s.items() + " " + s.accuracy() + " " + s.meanReward() + " " + s.formatRate() + " "
                + s.overContext();
    }

    /** The held-out events without their paths (each run has its own directory). */
    private static List<String> heldOut(List<RunEvent> events) {
        return events.stream().filter(e -> e instanceof RunEvent.HeldOut).map(e -> (RunEvent.HeldOut) e)
                .map(h -> h.iteration() + " " + h.accuracy() + " " + h.meanReward() + " " + h.bestIteration())
                .toList();
    }

    @Test
    void lowRankRunsGiveTheSameWeightsWhateverTheNumberOfEvaluators() {
        // Six members in passes of four: groups of 4 and 2, so the last group is short.
        Map<String, Object> lowRank = Map.of("es.perturbation", "low-rank", "es.rank", 2, "es.members-per-pass", 4);
        String one = runActors("low-rank-one", 1, lowRank).masterHash();
        String three = runActors("low-rank-three", 3, lowRank).masterHash();
        assertEquals(one, three);
        assertEquals(TestRuns.loopHash(TestRuns.small(root.resolve("low-rank-loop"), 0, lowRank)), one,
                "the single-thread run passes the same low-rank groups");
        assertNotEquals(baseHash, one, "low-rank updates moved the weights");
        assertNotEquals(loopHash, one, "low-rank noise is another run than full-rank noise");
    }

    @Test
    void perPromptShapingGivesTheSameWeightsInTheLoopAndAcrossEvaluators() throws java.io.IOException {
        Map<String, Object> perPrompt = Map.of("es.shaping", "per-prompt");
        String loop = TestRuns.loopHash(TestRuns.small(root.resolve("per-prompt-loop"), 0, perPrompt));
        assertEquals(loop, runActors("per-prompt-three", 3, perPrompt).masterHash(),
                "evaluators send each member's reward per prompt; the coordinator shapes them as the loop does");
        assertNotEquals(loopHash, loop, "per-prompt coefficients differ from z-scores of the means");
        try (UpdateJournal journal = UpdateJournal.open(root.resolve("per-prompt-three").resolve("journal.jsonl"))) {
            Update first = journal.records().get(0);
            assertEquals(6, first.promptRewards().length, "the journal keeps the rows");
            assertEquals(4, first.promptRewards()[0].length, "one reward per prompt of the batch (task.batch 4)");
        }
    }
}
