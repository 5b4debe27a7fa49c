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
 * colliding or hostile study values, StudyTest and StudyConfigsTest), 9 (eval keeping --out, EvalCommandTest), 3
 * (clients that never read, NodeMetricsTest), 4 (the certificate script, CertsScriptTest).
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
        refused("--temperature must be 0 (greedy) or a finite number >= 0.001", "generate", "--temperature", "1e-40",
                "--max-new-tokens", "4");
        refused("--temperature must be a finite number >= 0.001 to sample", "eval", "--task", "keyword",
                "--samples", "2", "--temperature", "1e-40", "--out", dir.resolve("e.jsonl").toString());
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
    void case11AnItemThatIsNotJsonGetsOneLine(@TempDir Path dir) throws Exception {
        // found by the fuzz harness: Jackson's message quoted the input, line breaks and all
        Path item = Files.writeString(dir.resolve("item.json"), "\r\n{");
        Cli.Result r = Cli.run("score", "--task", "sudoku", "--item-file", item.toString(), "--completion", "x");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(item + ": not valid JSON"), r.err());
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
        refused("leaves no room for a prompt in embedded (stories260K)'s context of 512 tokens", "eval", "--task",
                "keyword", "--data", "data/keyword/test.jsonl", "--max-new-tokens", "100000", "--out",
                dir.resolve("e.jsonl").toString());
        assertFalse(Files.exists(dir.resolve("e.jsonl")), "nothing written");
        refused("--out " + dir + " is a directory", "eval", "--task", "keyword", "--limit", "1", "--out",
                dir.toString());
        refused("directory " + dir.resolve("no") + " does not exist", "eval", "--task", "keyword", "--limit", "1",
                "--out", dir.resolve("no/e.jsonl").toString());
    }

    @Test
    void case13ASecondStudyOnABusyDirectoryIsRefusedBeforeItTouchesARun(@TempDir Path dir) throws Exception {
        Path study = Files.writeString(dir.resolve("study.conf"), """
                eval.datasets = ["data/keyword/validation.jsonl", "data/keyword/test.jsonl"]
                study { seeds = [1], completions = 16, arms = [ { name = "es", method = "es" } ] }
                """);
        Path out = dir.resolve("s");
        Path log = Files.createDirectories(out.resolve("runs/es-seed1")).resolve("study-run.log");
        Files.writeString(log, "the first study's run is writing here\n");
        try (var first = dev.esactors.core.io.DirectoryLock.acquire(out, "study")) { // the first study, running
            refused("study directory " + out + " is in use by another study", "study", "--config", study.toString(),
                    "--dir", out.toString());
        }
        assertEquals("the first study's run is writing here\n", Files.readString(log), "its log is kept");
    }

    @Test
    void case13ReplayWritesNoModelIntoARunDirectory(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("run.conf"), "run.iterations = 1\n");
        Files.writeString(run.resolve("journal.jsonl"), "");
        refused("--out " + run + " is a run directory", "replay", run.toString(), "--out", run.toString());
        assertFalse(Files.exists(run.resolve("config.json")), "no model files beside the run's");
    }

    @Test
    void case13GrpoRefusesAWorkingDtypeItWouldIgnore(@TempDir Path dir) {
        refused("model.dtype = f16 is ES's working copy", "run", "--run-dir", dir.resolve("g").toString(), "--set",
                "method=grpo", "--set", "model.dtype=f16");
    }

    @Test
    void case13ACopyOfTheTestSetIsNoValidationSet(@TempDir Path dir) throws Exception {
        Path test = Path.of("data/keyword/test.jsonl");
        Path copy = Files.copy(test, dir.resolve("my-validation.jsonl"));
        refused("is also in eval.datasets (as its copy", "run", "--run-dir", dir.resolve("run").toString(),
                "--set", "eval.datasets=[\"" + test + "\"]", "--set", "eval.validation=\"" + copy + "\"",
                "--set", "eval.every=1");
        Path study = Files.writeString(dir.resolve("study.conf"), """
                eval.datasets = ["%s", "%s"]
                study { seeds = [1], completions = 16, arms = [ { name = "es", method = "es" } ] }
                """.formatted(copy, test));
        refused("hold the same items", "study", "--config", study.toString(), "--dir", dir.resolve("s").toString());
        assertFalse(Files.exists(dir.resolve("s/runs")), "no run started");
    }
}
