package dev.esactors.train.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A small study in this process: what it keeps, what it refuses to mistake for its own, and what its report shows. */
class StudyTest {

    private static final String KEYS = """
            task { name = "keyword", options { word = "happy" }, batch = 4, max-new-tokens = %d }
            es.population = 4
            eval { datasets = ["%s", "%s"], batch = 24 }
            study {
              seeds = [1]
              completions = 32
              held-out-rounds = 1
              arms = [ { name = "es", method = "es", axes = [ { key = "task.system", values = ["plain", "%s"] } ] } ]
            }
            """;

    private static Path file(Path dir, int maxNewTokens) throws Exception {
        return Files.writeString(dir.resolve("study.conf"), KEYS.formatted(maxNewTokens,
                Path.of("../data/keyword/validation.jsonl").toAbsolutePath(),
                Path.of("../data/keyword/test.jsonl").toAbsolutePath(), "<script>alert(1)</script>"));
    }

    @Test
    void aStudyKeepsItsRunsRefusesStaleOnesAndEscapesWhatItWrites(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        StudySummary summary = Study.run(StudyPlan.load(file(dir, 8), out), Study::inProcess, m -> { });
        assertEquals(2, summary.results().size());
        for (StudyResult r : summary.results()) {
            assertEquals(64, r.runFile().length(), "each result names the run file it was made from");
            assertTrue(r.cost().flops() > 2.0 * 260_032 * r.cost().generatedTokens(), "and estimates its FLOPs, "
                    + "prompts included: " + r.cost());
            assertEquals(24, Files.readString(out.resolve("runs").resolve(r.name()).resolve(StudySummary.TEST_ITEMS))
                    .trim().length(), "and which of the 24 test items it got right");
        }
        // The same study again keeps both runs
        List<String> notes = new ArrayList<>();
        Study.run(StudyPlan.load(file(dir, 8), out), run -> {
            throw new AssertionError("ran " + run.name() + " again");
        }, notes::add);
        assertTrue(notes.stream().allMatch(n -> n.endsWith("done before, kept")), notes.toString());
        // A key of the runs changed (their answers' length): the old results are not this study's
        IllegalStateException stale = assertThrows(IllegalStateException.class, () -> Study.run(
                StudyPlan.load(file(dir, 10), out), Study::inProcess, m -> { }));
        assertTrue(stale.getMessage().contains("was made from another run file"), stale.getMessage());
        // A value written into the report is shown, never run: the axis value holds a script tag
        String report = Files.readString(out.resolve("report.html"));
        assertFalse(report.contains("<script>"), "the report carries no script from the study file");
        assertTrue(report.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "it shows the value escaped");
    }

    @Test
    void flopsCountEveryForwardAndBackwardPassOverPromptsAndCompletions(@TempDir Path dir) {
        var es = dev.esactors.actors.TestRuns.small(dir.resolve("es"), 0, java.util.Map.of());
        long p = StudyPlan.parameters(es);
        assertEquals(260_032, p, "stories260K");
        // ES: a forward over 1,000 prompt and 500 generated tokens, 2 FLOPs per parameter each
        assertEquals(2.0 * p * 1500, StudyPlan.flops(es, 1000, 500, 0));
        // GRPO, 2 passes and a KL term: sampling 2P x 1,500; per pass a forward and backward (6P) over the prompts
        // and 600 completion tokens (1,200 trained over 2 passes); an old-policy and a reference forward (2P each)
        var grpo = dev.esactors.actors.TestRuns.small(dir.resolve("grpo"), 0, java.util.Map.of("method", "grpo",
                "grpo.passes", 2, "grpo.kl-beta", 0.1));
        assertEquals(p * (2.0 * 1500 + 6.0 * 1600 * 2 + 2.0 * 1600 * 2), StudyPlan.flops(grpo, 1000, 500, 1200));
    }
}
