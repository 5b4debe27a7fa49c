package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code es-actors eval}: a side-by-side accuracy table and a per-item file. */
class EvalCommandTest {

    @Test
    void comparesModelsAndWritesPerItemResults(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("items.jsonl");
        Cli.Result r = Cli.run("eval", "--task", "sudoku", "--option", "prompt=compact", "--model", "models/sudoku4-base",
                "--model", "models/sudoku4-base", "--data", "data/sudoku/d1_4x4_test_sudoku.csv", "--limit", "100",
                "--max-new-tokens", "20", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> rows = r.out().lines().filter(l -> l.startsWith("models/sudoku4-base")).toList();
        assertEquals(2, rows.size(), r.out());
        assertEquals(rows.get(0).replaceAll("\\s+\\d+$", ""), rows.get(1).replaceAll("\\s+\\d+$", ""),
                "the same model scores the same (tokens/s aside)");
        assertTrue(rows.get(0).contains(" 100 "), rows.get(0));
        assertEquals(200, Files.readAllLines(out).size());
        assertTrue(Files.readAllLines(out).get(0).contains("\"answerOk\""));
    }

    /** Real benchmark items (copies of ../shared/data in es-rewards' test resources) through the whole pipeline. */
    @Test
    void everyTaskEvaluatesRealDataEndToEnd(@TempDir Path dir) throws IOException {
        String data = "es-rewards/src/test/resources/data/";
        String[][] cases = {
                {"countdown", data + "countdown/d1_countdown_cd3_test.jsonl"},
                {"math", data + "math/math500_test.jsonl"},
                {"sudoku", data + "sudoku/d1_4x4_test_sudoku.csv"},
                {"arc", data + "arc"},
                {"conciseness", data + "math/math500_test.jsonl"},
        };
        for (String[] c : cases) {
            Path out = dir.resolve(c[0] + ".jsonl");
            // the embedded stories260K: accuracy is about 0, the point is that every stage runs
            Cli.Result r = Cli.run("eval", "--task", c[0], "--data", c[1], "--limit", "3", "--max-new-tokens", "8",
                    "--out", out.toString());
            assertEquals(0, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("embedded (stories260K)")),
                    c[0] + ": a row for the model\n" + r.out());
            List<String> items = Files.readAllLines(out);
            assertEquals(3, items.size(), c[0]);
            if (c[0].equals("arc")) {
                // ARC prompts run to thousands of tokens; stories260K has 512 positions
                assertTrue(r.out().contains("do not fit the model's context"), r.out());
            }
            for (String item : items) {
                assertTrue(item.contains("\"reward\"") && item.contains("\"completion\""), c[0] + ": " + item);
            }
        }
    }

    @Test
    void badInputsAreNamed(@TempDir Path dir) throws IOException {
        assertTrue(Cli.run("eval", "--task", "chess").err().contains("unknown task 'chess'"));
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"problem\": \"1+1\", \"answer\": \"2\"}\n{oops\n");
        Cli.Result r = Cli.run("eval", "--task", "math", "--data", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl:2") && r.err().contains("bad JSON"), r.err());
        Path good = Files.writeString(dir.resolve("good.jsonl"), "{\"problem\": \"1+1\", \"answer\": \"2\"}\n");
        // Issue 37, case 9: a bad --model used to empty --out first, wiping the results of an earlier evaluation
        Path results = Files.writeString(dir.resolve("results.jsonl"), "{\"earlier\": true}\n");
        Cli.Result missing = Cli.run("eval", "--task", "math", "--model", dir.toString(), "--data", good.toString(),
                "--out", results.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("config.json"), missing.err());
        assertEquals("{\"earlier\": true}\n", Files.readString(results), "the earlier results are kept");
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().contains(".tmp-")), "and no partial file");
        }
    }
}
