package dev.esactors.actors;

import dev.esactors.actors.node.EsNode;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
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

/**
 * Evaluation rounds are work like population members: the base and final rounds of a run with two evaluators are
 * split into chunks of eval.batch items, taken by both evaluators, and add up to exactly the numbers a local
 * evaluation of the base and the exported model gives.
 */
class DistributedEvaluationTest {

    @Test
    void chunksSpreadOverEvaluatorsAddUpToTheLocalEvaluation(@TempDir Path dir) throws IOException {
        Path heldOut = dataset(dir, 24);
        RunConfig config = TestRuns.small(dir.resolve("run"), 2, Map.of("run.iterations", 2,
                "eval.datasets", List.of(heldOut.toString()), "eval.batch", 4));
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = EsNode.run(config, events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        List<String> rounds = events.stream().filter(e -> e instanceof RunEvent.Note n && n.message().startsWith("evaluated"))
                .map(e -> ((RunEvent.Note) e).message()).toList();
        assertEquals(2, rounds.size(), events.toString());
        assertTrue(rounds.get(0).startsWith("evaluated base weights (iteration 0): 6 chunk(s) of 4 item(s)"),
                rounds.get(0));
        // at the end both evaluators are waiting for work, so both take chunks of the final round
        assertTrue(rounds.get(1).startsWith("evaluated final weights (iteration 2): 6 chunk(s) of 4 item(s) scored "
                + "by 2 evaluator(s)"), rounds.get(1));
        assertTrue(Files.isRegularFile(config.dir().resolve("eval-base.json")), "the base round is saved for resumes");

        FinalEvaluation.Row row = ((RunEvent.RunFinished) last).evaluation().get(0);
        Task<TaskItem> task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        List<TaskItem> items = task.load(heldOut);
        Path exported = ((RunEvent.RunFinished) last).exported();
        Evaluation.Summary base = local(config, task, items, "base", dev.esactors.core.model.EmbeddedModel.directory());
        Evaluation.Summary tuned = local(config, task, items, "ES", exported);
        assertEquals(24, row.base().items());
        assertEquals(base.accuracy(), row.base().accuracy());
        assertEquals(base.meanReward(), row.base().meanReward(), "bit for bit: the same batches, summed in order");
        assertEquals(tuned.accuracy(), row.tuned().accuracy());
        assertEquals(tuned.meanReward(), row.tuned().meanReward());
        // the fallback for runs without a saved base round gives the same numbers
        Evaluation.Summary fallback = FinalEvaluation.baseLocally(config).get(0);
        assertEquals(row.base().accuracy(), fallback.accuracy());
        assertEquals(row.base().meanReward(), fallback.meanReward());
    }

    @Test
    void aSampledRoundOverThreeEvaluatorsEqualsTheLocalEvaluationBitForBit(@TempDir Path dir) throws IOException {
        Path heldOut = dataset(dir, 18);
        RunConfig config = TestRuns.small(dir.resolve("run"), 3, Map.of("run.iterations", 1,
                "eval.datasets", List.of(heldOut.toString()), "eval.batch", 3, "eval.samples", 4,
                "eval.temperature", 1.2, "eval.top-p", 0.95, "eval.seed", 5));
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = EsNode.run(config, events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        assertTrue(events.stream().anyMatch(e -> e instanceof RunEvent.Note n
                && n.message().startsWith("evaluated final weights (iteration 1): 6 chunk(s) of 3 item(s) scored by")
                && !n.message().contains("by 1 evaluator")), "the final round was spread: " + events);

        FinalEvaluation.Row row = ((RunEvent.RunFinished) last).evaluation().get(0);
        Task<TaskItem> task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        List<TaskItem> items = task.load(heldOut);
        Evaluation.Summary tuned = local(config, task, items, "ES", ((RunEvent.RunFinished) last).exported());
        Evaluation.Summary base = local(config, task, items, "base", dev.esactors.core.model.EmbeddedModel.directory());
        for (Evaluation.Summary[] pair : new Evaluation.Summary[][] {{base, row.base()}, {tuned, row.tuned()}}) {
            Evaluation.Summary here = pair[0];
            Evaluation.Summary round = pair[1];
            assertEquals(4, round.samples());
            assertEquals(4, round.passAtK().size());
            assertEquals(here.passAtK(), round.passAtK(), "pass@1..4, bit for bit");
            assertEquals(here.majority(), round.majority());
            assertEquals(here.sampleAccuracy(), round.sampleAccuracy());
            assertEquals(here.accuracy(), round.accuracy());
            assertEquals(here.meanReward(), round.meanReward());
        }
        // sampling found answers that greedy decoding does not give, or the test would not tell seeds apart
        assertTrue(base.passAt(4) > base.passAt(1) || base.passAt(1) != base.accuracy(), base.toString());
        assertTrue(base.passAt(1) <= base.passAt(2) && base.passAt(2) <= base.passAt(4), base.toString());
        assertEquals(base.sampleAccuracy(), base.passAt(1), 1e-12, "pass@1 is the mean accuracy over samples");
    }

    private static Path dataset(Path dir, int n) throws IOException {
        StringBuilder lines = new StringBuilder();
        String[] openings = {"The dog ran to", "Anna and the", "One sunny day", "Tom saw a", "The little bird",
                "Lily wanted", "Once there was", "The big tree"};
        for (int i = 0; i < n; i++) {
            lines.append("{\"id\": \"e").append(i).append("\", \"prompt\": \"").append(openings[i % 8])
                    .append(i >= 8 ? " " + i : "").append("\"}\n");
        }
        return Files.writeString(dir.resolve("eval.jsonl"), lines);
    }

    private static Evaluation.Summary local(RunConfig config, Task<TaskItem> task, List<TaskItem> items, String name,
                                            Path modelDir) {
        Decoder decoder = ModelLoader.load(modelDir, DeviceSpec.CPU, DType.F32);
        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir)) {
            return Evaluation.run(name, decoder, tokenizer, task, items, new Evaluation.Settings(
                    ChatTemplate.parse(config.task().template()), config.task().system(), config.eval().batch(),
                    config.task().maxNewTokens(), config.eval().sampling()), r -> { });
        }
    }
}
