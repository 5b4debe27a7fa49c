package dev.esactors.actors.coordinator;

import dev.esactors.actors.TestRuns;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import dev.esactors.train.eval.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bookkeeping of an evaluation round: chunking, re-issue, duplicates, and in-order sums. */
class EvalRoundTest {

    @Test
    void aRoundAsWorkRecordsTheFirstResultOfEachIssuedChunkOfItsIteration(@TempDir Path dir) throws IOException {
        Path data = Files.writeString(dir.resolve("eval.jsonl"), "{\"id\": \"a\", \"prompt\": \"A whale\"}\n"
                + "{\"id\": \"b\", \"prompt\": \"A purple whale\"}\n{\"id\": \"c\", \"prompt\": \"A bird\"}\n");
        RunConfig config = TestRuns.small(dir.resolve("run"), 1, Map.of("eval.datasets", List.of(data.toString()),
                "eval.batch", 2));
        RoundWork<String> work = new RoundWork<>(new EvalRound(EvalRound.Purpose.HELD_OUT, 5, List.of(0),
                new EvalDatasets(config)));
        EvalRound.Chunk first = work.queue().next("e1", 100);
        EvalRound.Chunk second = work.queue().next("e2", 100);
        assertEquals(new EvalRound.Chunk(0, 0), first);
        assertEquals(new EvalRound.Chunk(0, 1), second);
        Evaluation.Tally tally = greedy(2, 1, 2, 1.5, 10, 0);
        assertEquals(IterationWork.Outcome.STALE, work.accept(4, 0, 0, tally, "e1", "e1"), "another iteration");
        assertEquals(IterationWork.Outcome.STALE, work.accept(5, 0, 7, tally, "e1", "e1"), "no such chunk");
        assertEquals(IterationWork.Outcome.UNISSUED, work.accept(5, 0, 1, tally, "e1", "e1"), "chunk 1 went to e2");
        assertEquals(IterationWork.Outcome.ACCEPTED, work.accept(5, 0, 0, tally, "e1", "e1"));
        assertEquals(IterationWork.Outcome.DUPLICATE, work.accept(5, 0, 0, tally, "e1", "e1"));
        assertFalse(work.complete());
        assertEquals(IterationWork.Outcome.ACCEPTED, work.accept(5, 0, 1, greedy(1, 1, 1, 1, 5, 0), "e2", "e2"));
        assertTrue(work.complete());
        assertEquals(2, work.round().units().size());
    }

    @Test
    void chunksAreHandedOutOnceReissuedWhenLostAndSummedInOrder(@TempDir Path dir) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            lines.append("{\"id\": \"x").append(i).append("\", \"prompt\": \"A purple whale ").append(i).append("\"}\n");
        }
        Path data = Files.writeString(dir.resolve("eval.jsonl"), lines);
        RunConfig config = TestRuns.small(dir.resolve("run"), 1, Map.of("eval.datasets", List.of(data.toString()),
                "eval.batch", 4));
        EvalDatasets datasets = new EvalDatasets(config);
        assertEquals(3, datasets.chunks(0), "10 items in chunks of 4");
        EvalRound round = new EvalRound(EvalRound.Purpose.HELD_OUT, 5, List.of(0), datasets);

        // The coordinator hands a round's chunks out as it hands out member groups.
        WorkQueue<EvalRound.Chunk, String> queue = new WorkQueue<>(round.units());
        EvalRound.Chunk a = queue.next("e1", 100);
        EvalRound.Chunk b = queue.next("e1", 100);
        EvalRound.Chunk c = queue.next("e2", 100);
        assertEquals(List.of(0, 1, 2), List.of(a.index(), b.index(), c.index()));
        assertNull(queue.next("e2", 100), "every chunk is out");
        assertEquals(2, queue.reissueHeldBy("e1")); // its evaluator was lost
        assertEquals(b, queue.next("e2", 100));
        assertEquals(a, queue.next("e2", 100));

        assertTrue(queue.complete(c));
        assertTrue(round.accept(c, greedy(2, 1, 2, 0.1, 20, 0), "e1"));
        assertFalse(queue.complete(c), "a duplicate is refused");
        assertFalse(round.accept(c, greedy(2, 0, 0, 0, 0, 0), "e2"), "and the round keeps the first");
        assertEquals(0, queue.reissueOverdue(50), "nothing is overdue yet");
        assertEquals(2, queue.reissueOverdue(150), "a and b missed their deadline");
        assertTrue(queue.complete(a));
        assertNotEquals(a, queue.next("e3", 300), "an answered chunk is never issued again");
        assertNull(queue.next("e3", 300));
        assertTrue(round.accept(a, greedy(4, 2, 4, 0.2, 40, 0), "e2"));
        assertFalse(round.complete());
        assertFalse(queue.isDone());
        assertTrue(queue.complete(b));
        assertTrue(round.accept(b, greedy(4, 1, 3, 0.3, 40, 1), "e1"));
        assertTrue(round.complete());
        assertTrue(queue.isDone());
        assertEquals(2, round.scorers());

        Evaluation.Summary s = round.summary(0, "iteration");
        assertEquals(10, s.items());
        assertEquals(0.4, s.accuracy(), 1e-12);
        // chunk order (0.2 + 0.3) + 0.1 = 0.6; arrival order (0.1 + 0.2) + 0.3 = 0.6000000000000001
        assertEquals(((0.2 + 0.3) + 0.1) / 10, s.meanReward(), 0, "summed in chunk order, not arrival order");
        assertTrue(((0.1 + 0.2) + 0.3) / 10 != s.meanReward());
        assertEquals(0.9, s.formatRate(), 1e-12);
        assertEquals(1, s.overContext());
        datasets.close();
    }

    private static Evaluation.Tally greedy(int items, int right, int formatted, double reward, long tokens, int over) {
        return new Evaluation.Tally(items, right, formatted, reward, tokens, over, 0, 0, 0, false,
                new double[0]);
    }
}
