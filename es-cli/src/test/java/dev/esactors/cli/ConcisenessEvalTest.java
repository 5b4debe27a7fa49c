package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ES on the conciseness task with the embedded stories260K, then {@code es-actors eval} of the base model and the
 * exported one on held-out openings: both rows are printed and the fine-tuned one has the better mean reward.
 */
class ConcisenessEvalTest {

    @Test
    void theFineTunedModelIsMoreConciseOnHeldOutPrompts(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("concise.conf"), """
                task { name = "conciseness", dataset = "data/conciseness/stories-train.jsonl", batch = 16,
                       max-new-tokens = 32 }
                es { population = 16, sigma = 0.03, alpha = 0.015 }
                checkpoint.every = 0
                """);
        Path runDir = dir.resolve("run");
        Cli.Result run = Cli.run("run", "--config", config.toString(), "--run-dir", runDir.toString(),
                "--iterations", "12");
        assertEquals(0, run.code(), run.out() + run.err());

        Cli.Result eval = Cli.run("eval", "--task", "conciseness", "--data", "data/conciseness/stories-test.jsonl",
                "--max-new-tokens", "32", "--model", "embedded", "--model", runDir.resolve("export").toString(),
                "--out", dir.resolve("items.jsonl").toString());
        assertEquals(0, eval.code(), eval.out() + eval.err());
        System.out.print(eval.out()); // the figures, in the test report
        List<String> rows = eval.out().lines().filter(l -> l.matches(".*\\s16\\s.*")).toList();
        assertEquals(2, rows.size(), eval.out());
        double base = meanReward(rows.get(0));
        double tuned = meanReward(rows.get(1));
        // base completions run about 45 characters past the short answers; 12 iterations take off about 10
        assertTrue(tuned > base + 3, "fine-tuned " + tuned + " vs base " + base + "\n" + eval.out());
        assertEquals(32, Files.readAllLines(dir.resolve("items.jsonl")).size());
    }

    /** The mean reward column of an eval table row (model, items, accuracy, mean reward, format, tokens/s). */
    private static double meanReward(String row) {
        String[] cells = row.trim().split("\\s+");
        return Double.parseDouble(cells[cells.length - 3]);
    }
}
