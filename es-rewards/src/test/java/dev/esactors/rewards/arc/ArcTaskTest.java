package dev.esactors.rewards.arc;

import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.Fuzz;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ARC-AGI on real task files: rendering, robust grid parsing, exact and partial rewards. */
class ArcTaskTest {

    private static final ArcTask EXACT = new ArcTask(0);
    private static final ArcTask PARTIAL = new ArcTask(0.5);

    @Test
    void realTasksOfBothVersionsLoadAndTheirAnswersScoreOne() {
        List<ArcItem> items = EXACT.load(TestData.path("arc/007bbfb7.json").getParent());
        assertTrue(items.size() >= 3, "three task files, at least one test pair each: " + items.size());
        for (ArcItem item : items) {
            String answer = ArcGrids.render(item.output());
            assertEquals(1.0, EXACT.score(item, "Reasoning...\n<answer>\n" + answer + "\n</answer>").reward(), item.id());
            String spaced = answer.replaceAll("(\\d)(?=\\d)", "$1 ");
            assertEquals(1.0, EXACT.score(item, "The output is:\n\n" + spaced + "\n\nDone.").reward(), item.id());
        }
        ArcItem first = EXACT.load(TestData.path("arc/007bbfb7.json")).get(0);
        assertEquals("007bbfb7#0", first.id());
        String prompt = EXACT.userPrompt(first);
        assertTrue(prompt.contains("Example 1 input:\n077\n777\n077\nExample 1 output:\n"), prompt);
        assertTrue(prompt.endsWith("inside <answer></answer>."));
    }

    @Test
    void wrongGridsScoreZeroOrPartialCredit() {
        ArcItem item = EXACT.load(TestData.path("arc/007bbfb7.json")).get(0); // 9x9 output
        int[][] wrong = new int[9][];
        for (int r = 0; r < 9; r++) {
            wrong[r] = item.output()[r].clone();
        }
        wrong[0][0] = (wrong[0][0] + 1) % 10;
        String text = "<answer>" + ArcGrids.render(wrong) + "</answer>";
        assertEquals(0, EXACT.score(item, text).reward());
        assertEquals(0.5 * 80 / 81, PARTIAL.score(item, text).reward(), 1e-12);
        Score shape = PARTIAL.score(item, "<answer>12\n34</answer>");
        assertEquals(0, shape.reward());
        assertTrue(shape.reason().contains("shape 2x2"));
        assertFalse(EXACT.score(item, "no grid at all").formatOk());
        assertFalse(EXACT.score(item, "<answer>123\n45</answer>").formatOk(), "ragged rows are not a grid");
        ArcItem back = EXACT.parseItem(item.toJson(), "json");
        assertTrue(java.util.Arrays.deepEquals(item.output(), back.output()) && back.train().size() == item.train().size(),
                "items round-trip through JSON");
    }

    @Test
    @Timeout(60) // a hang guard, not a speed assertion
    void hostileTextNeverThrowsOrHangs() {
        ArcItem item = EXACT.load(TestData.path("arc/00d62c1b.json")).get(0);
        for (String s : Fuzz.strings(3, 3000, "0123456789 ,[]\n<answer></answer>")) {
            double r = PARTIAL.score(item, s).reward();
            assertTrue(r >= 0 && r <= 1);
        }
        assertEquals(0, EXACT.score(item, "1\n".repeat(200_000)).reward(), "more than 30 rows is not an ARC grid");
    }

    @Test
    void malformedTaskFilesAreNamed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"train\": [{\"input\": [[1,2],[3]], \"output\": [[1]]}], \"test\": [{\"input\": [[1]], \"output\": [[1]]}]}");
        String m = assertThrows(DatasetException.class, () -> EXACT.load(file)).getMessage();
        assertTrue(m.contains("bad.json") && m.contains("train[0].input") && m.contains("row 1"), m);
        Files.writeString(file, "{\"train\": []}");
        assertTrue(assertThrows(DatasetException.class, () -> EXACT.load(file)).getMessage().contains("'train'"));
    }
}
