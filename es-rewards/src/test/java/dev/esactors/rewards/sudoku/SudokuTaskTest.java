package dev.esactors.rewards.sudoku;

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
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sudoku on d1's and Black-Phoenix's 4x4 sets, any-valid-solution scoring, the generator and hostile text. */
class SudokuTaskTest {

    private static final SudokuTask TASK = new SudokuTask(SudokuTask.PromptStyle.COMPACT, 0);
    private static final SudokuTask PARTIAL = new SudokuTask(SudokuTask.PromptStyle.INSTRUCT, 0.2);

    private static String rows(String grid, int size) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < size; r++) {
            sb.append(grid, r * size, (r + 1) * size).append('\n');
        }
        return sb.toString();
    }

    @Test
    void listedSolutionsOfBothRealSetsScoreOne() {
        List<SudokuItem> d1 = TASK.load(TestData.path("sudoku/d1_4x4_test_sudoku.csv"));
        assertEquals(500, d1.size());
        List<SudokuItem> phoenix = TASK.load(TestData.path("sudoku/blackphoenix_4x4_sudoku_unique_solution.csv"));
        assertEquals(288, phoenix.size());
        for (List<SudokuItem> set : List.of(d1, phoenix)) {
            for (SudokuItem item : set) {
                Score s = TASK.score(item, rows(item.solution(), 4));
                assertEquals(1.0, s.reward(), item.id() + ": " + s.reason());
            }
        }
        assertTrue(TASK.userPrompt(d1.get(0)).startsWith("Sudoku 4x4. Fill the 0s.\n3102\n2000\n0210\n0320\nSolution:\n"));
    }

    @Test
    void anotherValidSolutionAlsoScoresOne() {
        List<SudokuItem> d1 = TASK.load(TestData.path("sudoku/d1_4x4_test_sudoku.csv"));
        int multi = 0;
        for (SudokuItem item : d1) {
            int[] puzzle = SudokuGrid.parse(item.puzzle(), 4);
            if (SudokuGrid.countSolutions(puzzle, 4, 3) < 2) {
                continue;
            }
            multi++;
            // find a solution other than the listed one
            for (long seed = 0; seed < 200; seed++) {
                int[] grid = puzzle.clone();
                SudokuGrid.fill(grid, 4, new SplittableRandom(seed));
                String other = SudokuGrid.format(grid);
                if (!other.equals(item.solution())) {
                    assertEquals(1.0, TASK.score(item, "<answer>\n" + rows(other, 4) + "</answer>").reward(), item.id());
                    break;
                }
            }
        }
        assertEquals(124, multi, "d1's test set has 124 puzzles with more than one solution");
    }

    @Test
    void wrongGridsScoreZeroOrPartialCredit() {
        SudokuItem item = TASK.load(TestData.path("sudoku/d1_4x4_test_sudoku.csv")).get(0);
        String solution = item.solution(); // 3142243142131324
        char[] broken = solution.toCharArray();
        int blank = item.puzzle().indexOf('0');
        broken[blank] = broken[blank] == '1' ? '2' : '1';
        Score wrong = TASK.score(item, rows(new String(broken), 4));
        assertEquals(0, wrong.reward());
        assertTrue(wrong.formatOk());
        Score partial = PARTIAL.score(item, "<answer>" + new String(broken) + "</answer>");
        assertEquals(0.2 * 7 / 8, partial.reward(), 1e-12, partial.reason());
        Score clue = TASK.score(item, rows(solution.replaceFirst("^3", "4"), 4));
        assertEquals(0, clue.reward());
        assertTrue(clue.reason().contains("clue"));
        assertFalse(TASK.score(item, "I think it is 3142").formatOk());
    }

    @Test
    void generatedPuzzlesHaveExactlyOneSolution() {
        SudokuGenerator generator = new SudokuGenerator(2026);
        for (int i = 0; i < 20; i++) {
            SudokuItem four = generator.next(4, 8);
            assertEquals(8, four.puzzle().chars().filter(c -> c == '0').count());
            assertEquals(1, SudokuGrid.countSolutions(SudokuGrid.parse(four.puzzle(), 4), 4, 2));
            assertEquals(1.0, TASK.score(four, four.solution()).reward());
        }
        for (int i = 0; i < 3; i++) {
            SudokuItem nine = generator.next(9, 45);
            assertEquals(1, SudokuGrid.countSolutions(SudokuGrid.parse(nine.puzzle(), 9), 9, 2));
            assertTrue(SudokuGrid.isSolved(SudokuGrid.parse(nine.solution(), 9), 9));
            assertEquals(1.2, PARTIAL.score(nine, "<answer>" + rows(nine.solution(), 9) + "</answer>").reward(), 1e-12,
                    "solved + 0.2 x all blanks as listed");
        }
        assertEquals(new SudokuGenerator(5).next(4, 8), new SudokuGenerator(5).next(4, 8), "seeded");
    }

    @Test
    void generatedTrainingPuzzlesNeverIncludeTheExcludedTestSet() {
        Path test = TestData.path("sudoku/d1_4x4_test_sudoku.csv");
        SudokuTask task = new SudokuTask(SudokuTask.PromptStyle.COMPACT, 0.2, 3000, 8, test);
        List<SudokuItem> train = task.builtIn();
        assertEquals(3000, train.size());
        java.util.Set<String> testPuzzles = new java.util.HashSet<>();
        TASK.load(test).forEach(i -> testPuzzles.add(i.puzzle()));
        assertTrue(train.stream().noneMatch(i -> testPuzzles.contains(i.puzzle())));
        assertEquals(3000, train.stream().map(SudokuItem::puzzle).distinct().count());
        assertEquals(train.get(7), new SudokuTask(SudokuTask.PromptStyle.COMPACT, 0.2, 3000, 8, test).builtIn().get(7));
    }

    @Test
    void theShippedEvaluationSetsAreDisjointFromEachOtherAndFromThePresetsTraining() {
        Path shipped = Path.of("..", "data", "sudoku"); // the repository's data/, as the preset reads it
        Path test = shipped.resolve("d1_4x4_test_sudoku.csv");
        List<SudokuItem> training = new SudokuTask(SudokuTask.PromptStyle.COMPACT, 0.2, 4096, 8, test).builtIn();
        java.util.Map<String, String> seenIn = new java.util.HashMap<>();
        training.forEach(i -> seenIn.put(i.puzzle(), "training"));
        for (String name : List.of("d1_4x4_test_sudoku.csv", "fresh_4x4_1000.csv", "validation_4x4_1000.csv",
                "test_4x4_2000.csv")) {
            List<SudokuItem> items = TASK.load(shipped.resolve(name));
            assertEquals(name.startsWith("d1") ? 500 : name.startsWith("test") ? 2000 : 1000, items.size(), name);
            for (SudokuItem item : items) {
                String before = seenIn.putIfAbsent(item.puzzle(), name);
                assertEquals(null, before, item.puzzle() + " of " + name + " is also in " + before);
                assertEquals(8, item.puzzle().chars().filter(c -> c == '0').count(), name);
                if (!name.startsWith("d1")) { // generated here: unique solutions (d1 has puzzles with several)
                    assertEquals(1, SudokuGrid.countSolutions(SudokuGrid.parse(item.puzzle(), 4), 4, 2), item.puzzle());
                }
            }
        }
    }

    @Test
    @Timeout(60) // a hang guard, not a speed assertion
    void hostileTextNeverThrowsOrHangs() {
        SudokuItem item = TASK.load(TestData.path("sudoku/d1_4x4_test_sudoku.csv")).get(3);
        for (String s : Fuzz.strings(11, 3000, "0123456789\n <answer></answer>")) {
            double r = PARTIAL.score(item, s).reward();
            assertTrue(r >= 0 && r <= 1.2);
        }
    }

    @Test
    void datasetErrorsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.csv");
        Files.writeString(file, "Puzzle,Solution\n3102200002100320,3142243142131324\n31022000021003,314\n");
        String m = assertThrows(DatasetException.class, () -> TASK.load(file)).getMessage();
        assertTrue(m.contains("s.csv:3") && m.contains("16 (4x4) or 81 (9x9)"), m);
        Files.writeString(file, "3102200002100320,3142243142131342\n");
        assertTrue(assertThrows(DatasetException.class, () -> TASK.load(file)).getMessage().contains("does not solve"));
    }
}
