package dev.esactors.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A smoke test: the bench runs and prints its tables. Its figures are read by people, never asserted. */
class BenchCommandTest {

    @Test
    void benchAloneListsItsBenchmarks() {
        Cli.Result r = Cli.run("bench");
        assertEquals(0, r.code(), r.out() + r.err());
        for (String name : new String[] {"decode", "es", "low-rank", "coordination", "host-overhead", "products",
                "compare-reference", "shape", "grpo-step"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith(name + " ")), name + " in " + r.out());
        }
    }

    @Test
    void grpoStepBenchTrainsAndPrintsItsRate() {
        // the PyTorch side needs python3-torch, which CI does not install: here the project's side alone
        Cli.Result r = Cli.run("bench", "grpo-step", "--no-reference", "--prompts", "2", "--group-size", "2",
                "--new-tokens", "4", "--prompt-tokens", "6", "--steps", "1", "--rounds", "1", "--threads", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        // round, tokens trained per second (seconds per step), the reference's (NaN), the ratio: one row per model
        List<String> rows = r.out().lines().filter(l -> l.matches("\\s+1\\s+\\d+ \\(\\s*[\\d.]+\\)\\s+NaN.*")).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.stream().allMatch(l -> Long.parseLong(l.trim().split("\\s+")[1]) > 0), r.out());
        assertEquals(2, Cli.run("bench", "grpo-step", "--group-size", "1").code(), "a group of one has no advantage");
    }

    @Test
    void benchRunsAndPrintsDecodeAndEsTables() {
        Cli.Result r = Cli.run("bench", "decode", "--batch-sizes", "2", "--new-tokens", "4", "--repeats", "1",
                "--threads", "1", "--shared-prefix-tokens", "10", "--compare-decode-attention");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("fp32 matmul 1024x1024:"), r.out());
        // batch, ms one way, ms the other, speed-up, rows differing: one row per model in each comparison (shared
        // prefix, decode-step attention)
        long comparisonRows = r.out().lines()
                .filter(l -> l.matches("\\s+2\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+x\\s+\\d+")).count();
        assertEquals(4, comparisonRows, r.out());
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("decode-step attention: ms per batch")).count(),
                r.out());
        r = Cli.run("bench", "es", "--population", "2", "--batch", "2", "--new-tokens", "4", "--threads", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("ES iterations: N=2 members x B=2 prompts x T=4 new tokens"), r.out());
        // two iterations per model, each replica keeping both members' noise (kept 2) and drawing each once (2.0)
        long esRows = r.out().lines()
                .filter(l -> l.matches("(stories260K|random Llama 20M).* [12] .* 2 +2\\.0 .*\\d+\\.\\d+\\s*$")).count();
        assertEquals(4, esRows, r.out());
    }

    @Test
    void theRealSizeRunGoesThroughEveryPhaseInProcessesOfTheirOwn(@org.junit.jupiter.api.io.TempDir Path dir) {
        // The same command as shape qwen2.5-7b, on a tiny shape: write shards, load + decode, an ES iteration with
        // checkpoint and export, replay, the iteration again with the master mapped, reload; each phase a child
        // process whose peak memory, anonymous and file-backed resident memory are reported.
        Cli.Result r = Cli.run("bench", "shape", "tiny-qwen2", "--dir", dir.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(!r.out().contains("failed"), r.out());
        java.util.List<String> phases = r.out().lines()
                .filter(l -> l.matches(".* [0-9.]+ +[0-9.]+ GB +[0-9.]+ GB +[0-9.]+ +[0-9.]+ GB +[0-9.]+"))
                .toList();
        assertEquals(6, phases.size(), r.out());
        assertTrue(phases.stream().noneMatch(l -> l.contains(" -0.00 GB")), "every phase reported its peak: " + r.out());
        assertEquals(9, r.out().lines().filter(l -> l.matches("  step .* [0-9.]+ s")).count(), "the mapped phase's "
                + "steps: load, 2 x (perturb, decode, restore), update, export: " + r.out());
        assertTrue(java.nio.file.Files.exists(dir.resolve("model/model.safetensors.index.json")), "sharded");
        assertTrue(java.nio.file.Files.exists(dir.resolve("run/export/model.safetensors")), "exported");
        assertTrue(java.nio.file.Files.exists(dir.resolve("mapped/export/model.safetensors")), "exported, mapped");
    }

    @Test
    void hostOverheadCountsObjectsPerLayer() {
        Cli.Result r = Cli.run("bench", "host-overhead", "--threads", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        java.util.regex.Matcher general = java.util.regex.Pattern.compile("general forward .*: ([0-9.]+) us per layer "
                + "per step; ([0-9.]+) JavaCPP objects per layer per step").matcher(r.out());
        java.util.regex.Matcher step = java.util.regex.Pattern.compile("decode step .*: ([0-9.]+) us per layer per "
                + "step; ([0-9.]+) JavaCPP objects per layer per step; ([0-9.]+) LibTorch calls per layer").matcher(
                r.out());
        assertTrue(general.find() && step.find(), r.out());
        // Counts, not times: the preallocated step makes a few objects per layer where the general forward makes
        // one per call, and it counts the few dozen calls a layer takes.
        double generalObjects = Double.parseDouble(general.group(2));
        double stepObjects = Double.parseDouble(step.group(2));
        double calls = Double.parseDouble(step.group(3));
        assertTrue(stepObjects < 5 && generalObjects > 20, r.out());
        assertTrue(calls > 20 && calls < 80, r.out());
    }

    @Test
    void coordinationBenchRunsAndPrints() {
        Cli.Result r = Cli.run("bench", "coordination", "--evaluators", "4", "--iterations", "2", "--shaping",
                "zscore,per-prompt", "--threads", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        // shaping, evaluators, nodes, N, P: full rank one node per evaluator, and low rank (groups of 8) on one node
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+zscore\\s+4\\s+4\\s+4\\s+1\\s+.*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+zscore\\s+4\\s+1\\s+32\\s+8\\s+.*")), r.out());
        // per-prompt shaping sends each member's 16 prompt rewards with its result: more work bytes per member
        double zscore = workBytes(r.out(), "zscore");
        double perPrompt = workBytes(r.out(), "per-prompt");
        assertTrue(perPrompt > zscore && perPrompt < zscore + 100, zscore + " vs " + perPrompt + "\n" + r.out());
    }

    /** The work bytes per member of the full-rank, 4-evaluator row of {@code shaping}. */
    private static double workBytes(String out, String shaping) {
        String row = out.lines().filter(l -> l.matches("\\s*" + shaping + "\\s+4\\s+4\\s+4\\s+1\\s+.*")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + shaping + " row\n" + out));
        return Double.parseDouble(row.trim().split("\\s+")[8]);
    }

    @Test
    void lowRankBenchRunsAndPrints() {
        Cli.Result r = Cli.run("bench", "low-rank", "--members-per-pass", "2", "--population", "2", "--batch", "2",
                "--new-tokens", "3", "--threads", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Low-rank ES: N=2 members x B=2 prompts x T=3 new tokens"), r.out());
        long rows = r.out().lines().filter(l -> l.matches("(stories260K|random Llama 20M).*\\d+\\.\\d+x.*")).count();
        assertEquals(2, rows, r.out());
    }

    @Test
    void aBadNoiseCacheSizeIsRefusedBeforeAnyDecoding() {
        Cli.Result r = Cli.run("bench", "es", "--noise-cache", "-5MiB", "--threads", "1");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--noise-cache must be a size (512 MiB, 0 = none) or auto, got '-5MiB'"),
                r.err());
        assertTrue(!r.out().contains("tokens/s"), "nothing was decoded first: " + r.out());
    }

    @Test
    void aBadBlasSettingIsRefusedBeforeAnything() {
        System.setProperty("es.blas", "fastest");
        try {
            Cli.Result r = Cli.run("bench", "products");
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().startsWith("error: es.blas must be bundled, system or the absolute path of a "
                    + "libopenblas shared library, got 'fastest'"), r.err());
            assertTrue(r.out().isEmpty(), r.out());
        } finally {
            System.clearProperty("es.blas");
        }
    }
}
