package dev.esactors.rewards.sudoku;

import com.fasterxml.jackson.databind.JsonNode;
import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.JsonLines;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * 4x4 and 9x9 Sudoku: reward 1 for a grid that is a valid solution keeping every clue (any solution counts, not
 * only the listed one), else optional partial credit: {@code partial} x the share of blank cells that agree with
 * the listed solution. Range [0, 1].
 */
public final class SudokuTask implements Task<SudokuItem> {

    /** How the puzzle is shown to the model. */
    public enum PromptStyle {
        /** Instructions, the grid row by row, and an {@code <answer>} block to fill. For chat models. */
        INSTRUCT,
        /** The format sudoku4-base was trained on: {@code Sudoku 4x4. Fill the 0s.\n<rows>\nSolution:\n}. */
        COMPACT
    }

    private final PromptStyle style;
    private final double partial;

    public SudokuTask(PromptStyle style, double partial) {
        if (!(partial >= 0 && partial < 1)) {
            throw new IllegalArgumentException("partial credit weight must be in [0, 1), got " + partial);
        }
        this.style = style;
        this.partial = partial;
    }

    @Override
    public String name() {
        return "sudoku";
    }

    @Override
    public String description() {
        return "4x4 and 9x9 Sudoku: reward 1 for a valid solution that keeps the clues, else partial x share of "
                + "blanks matching the listed solution (default partial 0)";
    }

    /** d1's CSV ({@code Puzzle,Solution}), the tab-separated layout, or JSON Lines ({@code puzzle}, {@code solution}). */
    @Override
    public List<SudokuItem> load(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return JsonLines.read(file, this::parseItem);
        }
        if (!Files.isRegularFile(file)) {
            throw new DatasetException(file, 0, "file not found");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        List<SudokuItem> items = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || (i == 0 && line.toLowerCase(java.util.Locale.ROOT).startsWith("puzzle"))) {
                continue; // header
            }
            String[] parts = line.split("[,\t]");
            if (parts.length < 1 || parts.length > 2) {
                throw new DatasetException(file, i + 1, "expected 'puzzle,solution' or 'puzzle<TAB>solution'");
            }
            items.add(item(file + ":" + (i + 1), parts[0].strip(), parts.length == 2 ? parts[1].strip() : ""));
        }
        return items;
    }

    @Override
    public SudokuItem parseItem(JsonNode node, String where) {
        String puzzle = JsonLines.text(node, node.has("puzzle") ? "puzzle" : "Puzzle", where);
        String solution = JsonLines.text(node, node.has("solution") ? "solution" : "Solution", where, "");
        SudokuItem item = item(JsonLines.text(node, "id", where, where), puzzle, solution);
        if (node.has("size") && node.get("size").asInt() != item.size()) {
            throw new DatasetException(where, "field 'size' is " + node.get("size") + " but the puzzle has "
                    + puzzle.length() + " cells");
        }
        return item;
    }

    private static SudokuItem item(String where, String puzzle, String solution) {
        int size = puzzle.length() == 16 ? 4 : puzzle.length() == 81 ? 9 : -1;
        if (size < 0) {
            throw new DatasetException(where, "a puzzle has 16 (4x4) or 81 (9x9) cells, got " + puzzle.length());
        }
        try {
            SudokuItem item = new SudokuItem(where, size, puzzle, solution);
            if (!solution.isEmpty()) {
                int[] grid = SudokuGrid.parse(solution, size);
                if (!SudokuGrid.isSolved(grid, size) || !SudokuGrid.keepsClues(grid, SudokuGrid.parse(puzzle, size))) {
                    throw new DatasetException(where, "the listed solution does not solve the puzzle");
                }
            }
            return item;
        } catch (IllegalArgumentException e) {
            throw new DatasetException(where, e.getMessage());
        }
    }

    @Override
    public String userPrompt(SudokuItem item) {
        String rows = rows(item.puzzle(), item.size());
        if (style == PromptStyle.COMPACT) {
            return "Sudoku " + item.size() + "x" + item.size() + ". Fill the 0s.\n" + rows + "\nSolution:\n";
        }
        int box = SudokuGrid.box(item.size());
        return "Solve this " + item.size() + "x" + item.size() + " Sudoku. Every row, every column and every " + box
                + "x" + box + " box must contain each digit from 1 to " + item.size() + " exactly once. Empty cells "
                + "are shown as 0.\n\n" + rows + "\n\nGive the completed grid, one row per line, inside "
                + "<answer></answer>.";
    }

    @Override
    public Score score(SudokuItem item, String completion) {
        int size = item.size();
        int cells = size * size;
        String region = answerRegion(completion);
        int[] grid = new int[cells];
        int found = 0;
        for (int i = 0; i < region.length() && found < cells; i++) {
            char c = region.charAt(i);
            if (c >= '0' && c <= '9') {
                grid[found++] = c - '0';
            }
        }
        if (found < cells) {
            return new Score(0, false, false, "", "found " + found + " digits, a " + size + "x" + size + " grid needs " + cells);
        }
        String extracted = SudokuGrid.format(grid);
        int[] puzzle = SudokuGrid.parse(item.puzzle(), size);
        boolean inRange = true;
        for (int d : grid) {
            inRange &= d >= 1 && d <= size;
        }
        if (inRange && SudokuGrid.keepsClues(grid, puzzle) && SudokuGrid.isSolved(grid, size)) {
            return new Score(1, true, true, extracted, "valid solution keeping every clue");
        }
        String why = !SudokuGrid.keepsClues(grid, puzzle) ? "changes a clue" : "breaks a row, column or box rule";
        if (partial == 0 || item.solution().isEmpty()) {
            return new Score(0, true, false, extracted, why);
        }
        int blanks = 0;
        int right = 0;
        for (int i = 0; i < cells; i++) {
            if (puzzle[i] == 0) {
                blanks++;
                right += grid[i] == item.solution().charAt(i) - '0' ? 1 : 0;
            }
        }
        double share = blanks == 0 ? 0 : (double) right / blanks;
        return new Score(partial * share, true, false, extracted, why + "; " + right + "/" + blanks + " blanks right");
    }

    /** The content of the last {@code <answer>...</answer>}, else the whole completion. */
    private static String answerRegion(String completion) {
        int close = completion.lastIndexOf("</answer>");
        if (close >= 0) {
            int open = completion.lastIndexOf("<answer>", close);
            if (open >= 0) {
                return completion.substring(open + "<answer>".length(), close);
            }
        }
        return completion;
    }

    private static String rows(String puzzle, int size) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < size; r++) {
            if (r > 0) {
                sb.append('\n');
            }
            sb.append(puzzle, r * size, (r + 1) * size);
        }
        return sb.toString();
    }
}
