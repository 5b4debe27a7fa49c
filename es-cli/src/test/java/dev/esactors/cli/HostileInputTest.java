package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of issue 37 (inputs a hostile user tried), each as the command a user would type: refused before any
 * work, with exit 2 and a line naming the option, key or value. Cases tested where their code lives: 1 (a method
 * taking over another's directory, RunCommandTest), 2 (GRPO diverging to NaN, GrpoRunTest), 5 and 8 (stale,
 * colliding or hostile study values, StudyTest and StudyConfigsTest), 9 (eval keeping --out, EvalCommandTest).
 */
class HostileInputTest {

    private static void refused(String expected, String... command) {
        Cli.Result r = Cli.run(command);
        assertEquals(2, r.code(), String.join(" ", command) + "\n" + r.out() + r.err());
        assertTrue(r.err().contains(expected), String.join(" ", command) + " -> " + r.err());
        assertFalse(r.err().contains("\tat "), "a line, not a stack trace: " + r.err());
    }

    @Test
    void case7TinyTemperaturesAreRefusedNotCrashedOn(@TempDir Path dir) {
        refused("temperature must be 0 (greedy) or a finite number >= 0.001", "generate", "--temperature", "1e-40",
                "--max-new-tokens", "4");
        refused("sampled evaluation needs a temperature >= 0.001", "eval", "--task", "keyword", "--samples", "2",
                "--temperature", "1e-40", "--out", dir.resolve("e.jsonl").toString());
        refused("grpo.temperature", "run", "--run-dir", dir.resolve("g").toString(), "--set", "method=grpo",
                "--set", "grpo.temperature=1e-40");
        refused("eval: sampled evaluation needs a temperature >= 0.001", "run", "--run-dir",
                dir.resolve("s").toString(), "--set", "eval.samples=2", "--set", "eval.temperature=1e-40");
    }

    @Test
    void case6APromptThatCannotFitWithItsAnswerIsRefusedAtStartUp(@TempDir Path dir) {
        // The embedded model has 512 positions: 511 new tokens fit the old check (answer alone), no prompt does.
        refused("exceeds the model's context of 512 positions", "run", "--run-dir", dir.resolve("a").toString(),
                "--set", "task.max-new-tokens=511");
        refused("with task.template and task.system", "run", "--run-dir", dir.resolve("b").toString(), "--set",
                "task.template=chatml", "--set", "task.system=\"" + "Write a long story. ".repeat(200) + "\"");
        refused("exceeds the model's context", "run", "--run-dir", dir.resolve("c").toString(), "--set",
                "method=grpo", "--set", "task.max-new-tokens=511");
        assertFalse(Files.exists(dir.resolve("a").resolve("run.json")), "nothing written for a later resume");
    }

    @Test
    void case10SizesHaveUpperBounds(@TempDir Path dir) {
        refused("population size must be in [1, 1048576]", "run", "--run-dir", dir.resolve("p").toString(), "--set",
                "es.population=1000000000");
        refused("rank in [1, 256]", "run", "--run-dir", dir.resolve("r").toString(), "--set",
                "es.perturbation=low-rank", "--set", "es.rank=100000");
        refused("grpo.group-size must be in [2, 4096]", "run", "--run-dir", dir.resolve("g").toString(), "--set",
                "method=grpo", "--set", "grpo.group-size=100000");
    }

    @Test
    void case11ScoreReadsNoFurtherThanItNeeds(@TempDir Path dir) throws Exception {
        // nesting that overflowed Jackson's stack (a 1,000-line StackOverflowError trace)
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        refused("nested more than 500 levels", "score", "--task", "countdown", "--item", deep, "--completion", "x");
        Path file = Files.writeString(dir.resolve("deep.json"), "{\"a\": " + deep + "}");
        refused("nested more than 500 levels", "score", "--task", "countdown", "--item-file", file.toString(),
                "--completion", "x");
        // /dev/zero was read until OutOfMemoryError: past the completion cap it is the worst reward, at once
        Cli.Result zero = Cli.run("score", "--task", "countdown", "--item", "{\"input\": \"30,100,93\", \"output\": "
                + "\"23\"}", "--completion-file", "/dev/zero");
        assertEquals(0, zero.code(), zero.err());
        assertTrue(zero.out().contains("\"reward\" : 0.0") && zero.out().contains("200000"), zero.out());
        refused("is not an item", "score", "--task", "countdown", "--item-file", "/dev/zero", "--completion", "x");
    }

    @Test
    void case12AnEmptyRunDirIsNotTheCurrentDirectory() {
        refused("run.dir is empty", "run", "--run-dir", "", "--iterations", "1");
    }

    @Test
    void case13SmallerOnes(@TempDir Path dir) throws Exception {
        refused("--limit must be >= 0", "eval", "--task", "keyword", "--limit", "-5", "--out",
                dir.resolve("e.jsonl").toString());
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        refused("empty.jsonl holds no items", "eval", "--task", "keyword", "--data", empty.toString(), "--out",
                dir.resolve("e.jsonl").toString());
        refused("--batch-sizes must be >= 1 each", "bench", "decode", "--batch-sizes", "0");
    }
}
