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

    @Test
    void aByteOrderMarkIsAccepted() throws Exception {
        Path file = Files.writeString(dir.resolve("bom.jsonl"), "\uFEFF{\"x\": 1}\n{\"x\": 2}\n");
        assertEquals(java.util.List.of(1, 2), JsonLines.read(file, (n, w) -> n.get("x").asInt()));
        Path csv = Files.writeString(dir.resolve("bom.csv"), "\uFEFFpuzzle,solution\n"
                + "1..4..1.2..3.3..,1234341221434321\n");
        assertEquals(1, new dev.esactors.rewards.sudoku.SudokuTask(
                dev.esactors.rewards.sudoku.SudokuTask.PromptStyle.COMPACT, 0, 0, 8, null).load(csv).size(),
                "the CSV's header is still recognised");
    }
}
