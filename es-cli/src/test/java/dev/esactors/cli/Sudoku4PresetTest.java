package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smoke version of the sudoku4 reproduction: the preset runs end to end for two iterations and produces the
 * base-vs-ES table on the d1 test set and the fresh puzzles, for the weights chosen on the validation puzzles. The full
 * run is a documented command (docs/results.md).
 */
class Sudoku4PresetTest {

    @Test
    void presetRunsEndToEndAndPrintsTheBaseVsEsTable(@TempDir Path dir) throws IOException {
        // The preset itself, shrunk to a smoke test: two iterations of a small population.
        Path smoke = Files.writeString(dir.resolve("smoke.conf"), "include file(\""
                + Path.of("configs/sudoku4.conf").toAbsolutePath() + "\")\nes.population = 4\ntask.batch = 8\n"
                + "eval { every = 2, final-weights = best }\n"); // and the weights chosen on its validation puzzles
        Cli.Result r = Cli.run("run", "--config", smoke.toString(), "--iterations", "2", "--run-dir",
                dir.resolve("run").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("iteration   2/2"), r.out());
        // sudoku4-base's measured base accuracy: 25.2% valid solutions on d1's test set (its README)
        Matcher test = Pattern.compile("d1_4x4_test_sudoku.csv\\s+500\\s+25\\.2%").matcher(r.out());
        assertTrue(test.find(), r.out());
        assertTrue(Pattern.compile("fresh_4x4_1000.csv\\s+1000\\s+").matcher(r.out()).find(), r.out());
        // the weights chosen on the preset's validation puzzles (here the only candidate, iteration 2)
        assertTrue(r.out().contains("held-out validation_4x4_1000.csv after 2 iterations"), r.out());
        assertTrue(Pattern.compile("evaluation dataset\\s+items\\s+base\\s+ES@2").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("final weights: the best on validation_4x4_1000.csv (iteration 2 of 2"), r.out());
        String report = Files.readString(dir.resolve("run/report.html"));
        assertTrue(report.contains("<h2>Base vs final</h2>") && report.contains("fresh_4x4_1000.csv"),
                "the table is in the report");

        // eval takes the run's best/ checkpoint (loaded into the base model) and the run directory (its export of
        // the same weights) as models, and by default as many new tokens as a 4x4 grid needs (not 256, which
        // overflows sudoku4-base's 128-token context and scored every prompt as empty)
        Path run = dir.resolve("run");
        Cli.Result eval = Cli.run("eval", "--task", "sudoku", "--option", "prompt=compact", "--data",
                "data/sudoku/d1_4x4_test_sudoku.csv", "--limit", "48", "--batch", "16", "--samples", "3",
                "--model", "models/sudoku4-base", "--model", run.resolve("best").toString(), "--model", run.toString(),
                "--out", dir.resolve("items.jsonl").toString());
        assertEquals(0, eval.code(), eval.out() + eval.err());
        assertTrue(eval.out().contains("max new tokens: 20 (the longest answer sudoku needs)"), eval.out());
        assertTrue(!eval.out().contains("do not fit"), eval.out());
        List<String> best = scores(eval.out(), run.resolve("best") + " (iteration 2)");
        List<String> export = scores(eval.out(), run + " (export)");
        assertEquals(8, best.size(), eval.out()); // items, accuracy, reward, format, pass@1, pass@3, maj@3, samples
        assertEquals(best, export, "the same weights score the same, greedy and sampled\n" + eval.out());
        assertTrue(eval.out().contains("pass@k models/sudoku4-base: 1:"), eval.out());
    }

    /** The figures of {@code model}'s row of an eval table, without tokens/s. */
    private static List<String> scores(String out, String model) {
        String row = out.lines().filter(l -> l.startsWith(model + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + model + "\n" + out));
        List<String> fields = new ArrayList<>(List.of(row.substring(model.length()).trim().split("\\s+")));
        fields.remove(4);
        return fields;
    }

    @Test
    void theGrpoPresetEndsWithTheSameBaseVsFinalTable(@TempDir Path dir) {
        Cli.Result r = Cli.run("run", "--preset", "sudoku4-grpo", "--iterations", "2", "--run-dir",
                dir.resolve("grpo").toString(), "--set", "grpo.prompts=2", "--set", "grpo.group-size=4");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("(GRPO): task sudoku") && r.out().contains("iteration   2/2"), r.out());
        assertTrue(Pattern.compile("d1_4x4_test_sudoku.csv\\s+500\\s+25\\.2%").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("evaluation dataset\\s+items\\s+base\\s+GRPO").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("fresh_4x4_1000.csv\\s+1000\\s+").matcher(r.out()).find(), r.out());
    }

    @Test
    void unknownPresetIsNamed() {
        Cli.Result r = Cli.run("run", "--preset", "chess");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no preset 'chess'"), r.err());
    }
}
