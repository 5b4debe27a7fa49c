package dev.esactors.core.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfTokenizerTest {

    private static final Path MODEL = Path.of("../models/sudoku4-base");

    @Test
    void aGoodTokenizerLoadsAndRoundTrips() {
        try (HfTokenizer tokenizer = HfTokenizer.load(MODEL)) {
            int[] ids = tokenizer.encode("1 2 . 4");
            assertTrue(ids.length > 0);
            assertArrayEquals(ids, tokenizer.encode(tokenizer.decode(ids)));
        }
    }

    /**
     * Files on which tokenizers 0.21 panics rather than returning an error; in this JVM, such a panic inside the JNI
     * call aborts the process (this test crashed the build before the check). Each is now an error naming the file.
     */
    @Test
    void filesTheNativeLibraryWouldAbortOnAreErrorsNamingTheFile(@TempDir Path dir) throws IOException {
        String good = Files.readString(MODEL.resolve("tokenizer.json"));
        String decoder = "\"decoder\": {\n    \"type\": \"Fuse\"\n  }";
        String[] bad = {
            // Valid JSON to Jackson; the Rust parser's error about the lone surrogate becomes a panic (exit 134).
            good.replace(decoder, "\"decoder\": {\"type\": \"\\ud800\"}"),
            good.replace(decoder, "\"decoder\": {1: \"Fuse\"}"), // a panic too: "key must be a string"
            good.substring(0, good.length() / 2),
            "[".repeat(100_000)
        };
        for (int i = 0; i < bad.length; i++) {
            assertTrue(!bad[i].equals(good), "case " + i + " changes the file");
            Path modelDir = Files.createDirectories(dir.resolve("m" + i));
            Files.writeString(modelDir.resolve("tokenizer.json"), bad[i]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(modelDir));
            assertTrue(e.getMessage().startsWith(modelDir.resolve("tokenizer.json") + ": not a valid tokenizer"),
                    e.getMessage());
        }
    }
}
