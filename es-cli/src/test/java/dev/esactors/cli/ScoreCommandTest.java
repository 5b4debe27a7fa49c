package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code es-actors score} and {@code es-actors tasks} as a user runs them. */
class ScoreCommandTest {


    @Test
    void scoresAnInlineItemAndPrintsJson() {
        Cli.Result r = Cli.run("score", "--task", "countdown", "--item", "{\"input\": \"30,100,93\", \"output\": \"23\"}",
                "--completion", " try</think>\n<answer>30 - (100 - 93)</answer>");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"reward\" : 1.1"), r.out());
        assertTrue(r.out().contains("\"extracted\" : \"30 - (100 - 93)\""), r.out());
        Cli.Result tz = Cli.run("score", "--task", "countdown", "--option", "variant=tinyzero", "--item",
                "{\"numbers\": [1, 2], \"target\": 3}", "--completion", "<answer>1 * 2</answer>");
        assertTrue(tz.out().contains("\"reward\" : 0.1"), tz.out());
    }

    @Test
    void scoresFromFiles(@TempDir Path dir) throws IOException {
        Path item = Files.writeString(dir.resolve("item.json"), "{\"puzzle\": \"3102200002100320\"}");
        Path completion = Files.writeString(dir.resolve("c.txt"), "<answer>\n3142\n2431\n4213\n1324\n</answer>");
        Cli.Result r = Cli.run("score", "--task", "sudoku", "--item-file", item.toString(), "--completion-file", completion.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"reward\" : 1.0"), r.out());
        Path dataset = Files.writeString(dir.resolve("m.jsonl"), "{\"problem\": \"1+1\", \"answer\": \"2\"}\n"
                + "{\"problem\": \"half\", \"answer\": \"\\\\frac{1}{2}\"}\n");
        Cli.Result m = Cli.run("score", "--task", "math", "--dataset", dataset.toString(), "--index", "1", "--completion", "\\boxed{0.5}");
        assertTrue(m.out().contains("\"reward\" : 1.0"), m.out() + m.err());
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Cli.Result bad = Cli.run("score", "--task", "sudoku", "--item-file", item.toString(), "--completion-file",
                latin1.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains(latin1 + ": not UTF-8 text"), bad.err());
    }

    @Test
    void badInputNamesTheProblem() {
        Cli.Result unknown = Cli.run("score", "--task", "chess", "--item", "{}", "--completion", "x");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown task 'chess'"), unknown.err());
        Cli.Result json = Cli.run("score", "--task", "math", "--item", "{not json", "--completion", "x");
        assertEquals(2, json.code());
        assertTrue(json.err().contains("--item: not valid JSON"), json.err());
        Cli.Result tasks = Cli.run("tasks");
        assertEquals(0, tasks.code());
        assertTrue(tasks.out().contains("--option variant=paper"), tasks.out());
    }
}
