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
    void case10SizesHaveUpperBounds(@TempDir Path dir) {
        refused("population size must be in [1, 1048576]", "run", "--run-dir", dir.resolve("p").toString(), "--set",
                "es.population=1000000000");
        refused("rank in [1, 256]", "run", "--run-dir", dir.resolve("r").toString(), "--set",
                "es.perturbation=low-rank", "--set", "es.rank=100000");
        refused("grpo.group-size must be in [2, 4096]", "run", "--run-dir", dir.resolve("g").toString(), "--set",
                "method=grpo", "--set", "grpo.group-size=100000");
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
