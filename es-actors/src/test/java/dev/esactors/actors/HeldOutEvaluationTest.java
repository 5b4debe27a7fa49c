package dev.esactors.actors;

import dev.esactors.actors.config.RunConfig;
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
        Path heldOut = Files.writeString(dir.resolve("held-out.jsonl"), """
                {"id": "h1", "prompt": "The dog ran to"}
                {"id": "h2", "prompt": "Anna and the"}
                {"id": "h3", "prompt": "One sunny day"}
                """);
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
        assertTrue(Files.readString(dir.resolve("run/report.html")).contains("Held-out accuracy during the run"));
    }
}
