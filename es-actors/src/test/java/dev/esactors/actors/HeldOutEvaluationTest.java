package dev.esactors.actors;

import dev.esactors.actors.node.EsNode;
import dev.esactors.core.io.Sha256;
import dev.esactors.train.EvaluationSchedule;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** In-run evaluation: held-out scores at iterations 2, 4, ..., the best weights kept in best/. */
class HeldOutEvaluationTest {

    @Test
    void heldOutScoresAreRecordedEveryKIterations(@TempDir Path dir) throws IOException {
        Path heldOut = threePrompts(dir);
        RunConfig config = TestRuns.small(dir.resolve("run"), 1, Map.of("run.iterations", 4,
                "eval.every", 2, "eval.datasets", List.of(heldOut.toString())));
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = EsNode.run(config, events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        List<Long> at = events.stream().filter(e -> e instanceof RunEvent.HeldOut)
                .map(e -> ((RunEvent.HeldOut) e).iteration()).toList();
        assertEquals(List.of(2L, 4L), at, events.toString());
        RunEvent.HeldOut second = (RunEvent.HeldOut) events.stream().filter(e -> e instanceof RunEvent.HeldOut)
                .reduce((a, b) -> b).orElseThrow();
        assertTrue(second.bestIteration() == 2 || second.bestIteration() == 4, second.toString());
        try (var best = Files.list(dir.resolve("run/best"))) {
            assertEquals(1, best.filter(p -> p.getFileName().toString().startsWith("iter-")).count(),
                    "the best weights are kept as a checkpoint");
        }
        assertEquals(1, ((RunEvent.RunFinished) last).evaluation().size(), "and the final table is still made");
        assertTrue(Files.readString(dir.resolve("run/report.html")).contains("<h2>Held-out accuracy</h2>"));
    }

    @Test
    void everyRoundScoresThePriorTaskAndMeasuresDriftAndKlToTheBase(@TempDir Path dir) throws IOException {
        Path heldOut = threePrompts(dir);
        Path prior = Files.writeString(dir.resolve("prior.jsonl"), """
                {"question": "Who ran to the park?", "answer": "The dog."}
                {"question": "What did Anna see?", "answer": "A big red ball in the garden."}
                """);
        RunConfig config = TestRuns.small(dir.resolve("run"), 2, Map.of("run.iterations", 4, "eval.every", 2,
                "eval.datasets", List.of(heldOut.toString()), "eval.kl-prompts", 2,
                "eval.extra", List.of(Map.of("task", "conciseness", "dataset", prior.toString(),
                        "max-new-tokens", 12))));
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = EsNode.run(config, events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        List<RunEvent.HeldOut> rounds = events.stream().filter(e -> e instanceof RunEvent.HeldOut)
                .map(e -> (RunEvent.HeldOut) e).toList();
        assertEquals(2, rounds.size(), events.toString());
        for (RunEvent.HeldOut h : rounds) {
            assertEquals(List.of("conciseness: prior.jsonl"), List.copyOf(h.others().keySet()), h.toString());
            assertTrue(h.klToBase() > 0, "the weights moved, so did the next-token distributions: " + h);
            assertEquals(List.of("embeddings", "attention", "mlp", "norms"), List.copyOf(h.drift().keySet()));
            h.drift().values().forEach(v -> assertTrue(v > 0 && v < 0.5, h.toString()));
        }
        assertTrue(rounds.get(1).drift().get("mlp") > rounds.get(0).drift().get("mlp"),
                "four updates move the weights further than two: " + rounds);
        List<FinalEvaluation.Row> table = ((RunEvent.RunFinished) last).evaluation();
        assertEquals(List.of("held-out.jsonl", "conciseness: prior.jsonl"),
                table.stream().map(FinalEvaluation.Row::label).toList(), "the prior task has a row of its own");
        assertEquals(2, table.get(1).base().items());
        String report = Files.readString(dir.resolve("run/report.html"));
        assertTrue(report.contains("conciseness: prior.jsonl") && report.contains("KL to base"), report);

        // the rounds' monitors are kept in held-out.txt, so a run resumed at iteration 4 reports the same history
        // before it (and scores round 4 again)
        try (EvaluationSchedule resumed = new EvaluationSchedule(config, 4)) {
            assertEquals(rounds.subList(0, 1), resumed.history());
        }
    }

    private static Path threePrompts(Path dir) throws IOException {
        return Files.writeString(dir.resolve("held-out.jsonl"), """
                {"id": "h1", "prompt": "The dog ran to"}
                {"id": "h2", "prompt": "Anna and the"}
                {"id": "h3", "prompt": "One sunny day"}
                """);
    }

    @Test
    void theWeightsChosenOnValidationAreScoredAndExported(@TempDir Path dir) throws IOException {
        Path test = Files.writeString(dir.resolve("test.jsonl"), """
                {"id": "t1", "prompt": "The dog ran to"}
                {"id": "t2", "prompt": "Anna and the"}
                """);
        Path validation = Files.writeString(dir.resolve("validation.jsonl"), """
                {"id": "v1", "prompt": "She went to"}
                {"id": "v2", "prompt": "He looked at"}
                {"id": "v3", "prompt": "They played in"}
                {"id": "v4", "prompt": "The cat jumped on"}
                """);
        Map<String, Object> selection = Map.of("run.iterations", 6, "eval.every", 2,
                "eval.datasets", List.of(test.toString()), "eval.validation", validation.toString(),
                "eval.final-weights", "best");
        RunConfig config = TestRuns.small(dir.resolve("run"), 2, selection);
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = EsNode.run(config, events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        List<RunEvent.HeldOut> heldOut = events.stream().filter(e -> e instanceof RunEvent.HeldOut)
                .map(e -> (RunEvent.HeldOut) e).toList();
        assertEquals(List.of(2L, 4L, 6L), heldOut.stream().map(RunEvent.HeldOut::iteration).toList());
        heldOut.forEach(h -> assertEquals(validation, h.dataset(), "in-run evaluations score the validation set"));
        long chosen = heldOut.get(2).bestIteration();

        // The chosen row must be what the evaluators report for the weights after `chosen` updates: a run that
        // stops there scores them in its final round.
        RunConfig upTo = TestRuns.small(dir.resolve("up-to"), 2, Map.of("run.iterations", (int) chosen,
                "eval.datasets", List.of(test.toString())));
        RunEvent.RunFinished reference = assertInstanceOf(RunEvent.RunFinished.class, EsNode.run(upTo, e -> { }));
        FinalEvaluation.Row row = ((RunEvent.RunFinished) last).evaluation().get(0);
        Evaluation.Summary expected = reference.evaluation().get(0).tuned();
        assertEquals("ES@" + chosen, row.tuned().model());
        assertEquals(expected.accuracy(), row.tuned().accuracy());
        assertEquals(expected.meanReward(), row.tuned().meanReward());
        assertEquals(Sha256.of(reference.exported().resolve("model.safetensors")),
                Sha256.of(((RunEvent.RunFinished) last).exported().resolve("model.safetensors")),
                "export/ holds the chosen weights");
        assertTrue(events.stream().anyMatch(e -> e instanceof RunEvent.Note n
                && n.message().startsWith("final weights: the best on validation.jsonl (iteration " + chosen)), events.toString());

        // Resumed for more iterations, the run keeps its choice unless a later evaluation beats it.
        RunConfig longer = TestRuns.small(dir.resolve("run"), 2, Map.of("run.iterations", 8, "eval.every", 2,
                "eval.datasets", List.of(test.toString()), "eval.validation", validation.toString(),
                "eval.final-weights", "best"));
        List<RunEvent> resumed = new ArrayList<>();
        assertInstanceOf(RunEvent.RunFinished.class, EsNode.run(longer, resumed::add));
        RunEvent.HeldOut at8 = resumed.stream().filter(e -> e instanceof RunEvent.HeldOut).map(e -> (RunEvent.HeldOut) e)
                .reduce((a, b) -> b).orElseThrow();
        RunEvent.HeldOut before = heldOut.get(2);
        boolean beaten = at8.accuracy() > before.bestAccuracy() || (at8.accuracy() == before.bestAccuracy()
                && at8.meanReward() > heldOut.stream().filter(h -> h.iteration() == chosen).findFirst().orElseThrow().meanReward());
        assertEquals(beaten ? 8L : chosen, at8.bestIteration(), at8 + " after " + heldOut);
    }
}
