package dev.esactors.rewards;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dataset lines are read within bounds: too long or nested too deeply is an error naming the file and line. */
class JsonLinesTest {

    @TempDir
    Path dir;

    @Test
    void overlongAndDeeplyNestedLinesNameTheirLine() throws Exception {
        Path file = Files.writeString(dir.resolve("d.jsonl"), "{\"x\": 1}\n{\"x\": \""
                + "y".repeat(JsonLines.MAX_LINE_CHARS) + "\"}\n");
        DatasetException tooLong = assertThrows(DatasetException.class, () -> JsonLines.read(file, (n, w) -> n));
        assertTrue(tooLong.getMessage().startsWith(file + ":2: line of " + (JsonLines.MAX_LINE_CHARS + 9)
                + " characters"), tooLong.getMessage());
        Path deep = Files.writeString(dir.resolve("deep.jsonl"), "{\"x\": " + "[".repeat(100_000) + "\n");
        DatasetException nested = assertThrows(DatasetException.class, () -> JsonLines.read(deep, (n, w) -> n));
        assertEquals(deep + ":1: JSON nested too deeply", nested.getMessage());
    }
}
