package dev.esactors.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code es-actors generate} as a user runs it, on the embedded model. */
class GenerateCommandTest {


    private static String golden(String prefix) throws IOException {
        try (InputStream in = GenerateCommandTest.class.getResourceAsStream("/stories260K_greedy_128.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
        }
    }

    @Test
    void emptyPromptWithIdsPrintsBosAndTheGoldenCompletion() throws IOException {
        Cli.Result r = Cli.run("generate", "--ids", "--max-new-tokens", "128");
        assertEquals(0, r.code(), r.err());
        String goldenIds = golden("ids: ");
        assertEquals("prompt: 1\ncompletion: " + goldenIds.substring(2).trim() + "\n", r.out());
    }

    @Test
    void textOutputIsTheGoldenStory() throws IOException {
        Cli.Result r = Cli.run("generate", "--max-new-tokens", "20");
        assertEquals(0, r.code(), r.err());
        assertTrue(golden("text: ").startsWith(r.out().strip()), r.out());
        assertTrue(r.out().startsWith("Once upon a time"), r.out());
    }

    @Test
    void severalPromptsDecodeAsOneBatch() {
        Cli.Result r = Cli.run("generate", "--prompt", "Lily went to the park", "--prompt", "The cat", "--max-new-tokens", "12");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.out().lines().count(), r.out());
    }

    @Test
    void badInputGivesOneClearLineAndExitCode2(@TempDir Path dir) throws IOException {
        Cli.Result missing = Cli.run("generate", "--model", dir.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("config.json: file not found"), missing.err());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bert\"}");
        Cli.Result bert = Cli.run("generate", "--model", dir.toString());
        assertEquals(2, bert.code());
        assertTrue(bert.err().contains("field 'model_type'"), bert.err());
        Cli.Result device = Cli.run("generate", "--device", "tpu");
        assertEquals(2, device.code());
        assertTrue(device.err().contains("device must be"), device.err());
    }
}
