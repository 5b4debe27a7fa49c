package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code es-actors replay}: a finished run's weights at any iteration, from its journal. */
class ReplayCommandTest {

    private static final Pattern SHA = Pattern.compile("master sha256 ([0-9a-f]{64})");

    private static String sha(Cli.Result r) {
        Matcher m = SHA.matcher(r.out());
        assertTrue(m.find(), r.out());
        return m.group(1);
    }

    @Test
    void aRunsWeightsAreRebuiltAtAnyIterationAndCheckedAgainstItsCheckpoint(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("r.conf"), """
                task { batch = 4, max-new-tokens = 8, options { word = "the" } }
                es { population = 4 }
                checkpoint { every = 2, keep = 3 }
                """);
        Path runDir = dir.resolve("run");
        Cli.Result run = Cli.run("run", "--config", config.toString(), "--run-dir", runDir.toString(),
                "--iterations", "5", "--set", "metrics.enabled=false");
        assertEquals(0, run.code(), run.out() + run.err());
        String last = sha(run);

        Cli.Result all = Cli.run("replay", runDir.toString(), "--from-base");
        assertEquals(0, all.code(), all.out() + all.err());
        assertEquals(last, sha(all));
        assertTrue(all.out().contains("from the base weights"), all.out());
        assertTrue(Files.isRegularFile(runDir.resolve("replay/iter-00000005/model.safetensors")), all.out());

        // checkpoints 2, 4 and 5 (the run's end) are on disk
        Cli.Result four = Cli.run("replay", runDir.toString(), "--iteration", "4", "--from-base");
        assertEquals(0, four.code(), four.out() + four.err());
        assertTrue(four.out().contains("identical to checkpoint " + runDir.resolve("checkpoints/iter-00000004")),
                four.out());
        Cli.Result three = Cli.run("replay", runDir.toString(), "--iteration", "3", "--out", dir.resolve("m3").toString());
        assertEquals(0, three.code(), three.out() + three.err());
        assertTrue(three.out().contains("from checkpoint iteration 2"), three.out());
        Cli.Result threeFromBase = Cli.run("replay", runDir.toString(), "--iteration", "3", "--from-base",
                "--out", dir.resolve("m3-base").toString());
        assertEquals(sha(three), sha(threeFromBase));
        assertTrue(Files.isRegularFile(dir.resolve("m3/model.safetensors")));
        Cli.Result generated = Cli.run("generate", "--model", dir.resolve("m3").toString(), "--max-new-tokens", "4",
                "--prompt", "Once upon a time");
        assertEquals(0, generated.code(), generated.out() + generated.err());

        Cli.Result beyond = Cli.run("replay", runDir.toString(), "--iteration", "9");
        assertEquals(2, beyond.code());
        assertTrue(beyond.err().contains("journal.jsonl holds 5 updates"), beyond.err());
        Cli.Result notARun = Cli.run("replay", dir.toString());
        assertEquals(2, notARun.code());
        assertTrue(notARun.err().contains("no run.conf"), notARun.err());
    }
}
