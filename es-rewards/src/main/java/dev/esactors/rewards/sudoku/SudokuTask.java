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
 * 4x4 and 9x9 Sudoku: reward = solved + {@code partial} x share of blank cells that agree with the listed solution,
 * where solved is 1 for a grid that is a valid solution keeping every clue (any solution counts, not only the
 * listed one). With the default partial 0 this is plain exact-solve; sudoku4-base's ES recipe uses 0.2.
 * Range [0, 1 + partial].
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
    private final int generate;
    private final int blanks;
    private final Path exclude;

    public SudokuTask(PromptStyle style, double partial) {
        this(style, partial, 0, 8, null);
    }

    /**
     * @param generate how many 4x4 training puzzles {@link #builtIn()} generates (seeded, unique solutions)
     * @param blanks   blanks per generated puzzle
     * @param exclude  a dataset whose puzzles are never generated (the evaluation set), or null
     */
    public SudokuTask(PromptStyle style, double partial, int generate, int blanks, Path exclude) {
        if (!(partial >= 0 && partial < 1)) {
            throw new IllegalArgumentException("partial credit weight must be in [0, 1), got " + partial);
        }
        if (generate < 0 || blanks < 1 || blanks > 15) {
            throw new IllegalArgumentException("generate must be >= 0 and blanks in [1, 15], got " + generate + ", " + blanks);
        }
        this.style = style;
        this.partial = partial;
        this.generate = generate;
        this.blanks = blanks;
        this.exclude = exclude;
    }

    /**
     * Generated training puzzles (option {@code generate}): 4x4, {@code blanks} blanks, unique solutions, from a
     * fixed seed, skipping every puzzle of the {@code exclude} dataset so a run never trains on its test items.
     */
    @Override
    public List<SudokuItem> builtIn() {
        java.util.Set<String> excluded = new java.util.HashSet<>();
        if (exclude != null) {
            load(exclude).forEach(item -> excluded.add(item.puzzle()));
        }
        SudokuGenerator generator = new SudokuGenerator(1234);
        List<SudokuItem> items = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int attempts = 0; items.size() < generate && attempts < 50 * generate + 100; attempts++) {
            SudokuItem item = generator.next(4, blanks);
            if (!excluded.contains(item.puzzle()) && seen.add(item.puzzle())) {
                items.add(item);
            }
        }
        return items;
    }

    @Override
    public String name() {
        return "sudoku";
    }

    @Override
    public String description() {
        return "4x4 and 9x9 Sudoku: reward = solved (a valid grid keeping the clues) + partial x share of blanks "
                + "matching the listed solution (default partial 0); generate=N gives seeded training puzzles";
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
            String line = (i == 0 ? lines.get(i).replaceFirst("^\uFEFF", "") : lines.get(i)).strip(); // a BOM
            if (line.isEmpty() || (i == 0 && line.toLowerCase(java.util.Locale.ROOT).startsWith("puzzle"))) {
                continue; // header
            }
            String[] parts = line.split("[,\t]");
            if (parts.length < 1 || parts.length > 2) {
                throw new DatasetException(file, i + 1, "expected 'puzzle,solution' or 'puzzle<TAB>solution'");
            }
            String at = file + ":" + (i + 1);
            items.add(item(at, at, parts[0].strip(), parts.length == 2 ? parts[1].strip() : ""));
        }
        return items;
    }

    @Override
    public SudokuItem parseItem(JsonNode node, String where) {
        String puzzle = JsonLines.text(node, node.has("puzzle") ? "puzzle" : "Puzzle", where);
        String solution = JsonLines.text(node, node.has("solution") ? "solution" : "Solution", where, "");
        SudokuItem item = item(JsonLines.text(node, "id", where, where), where, puzzle, solution);
        if (node.has("size") && node.get("size").asInt() != item.size()) {
            throw new DatasetException(where, "field 'size' is " + node.get("size") + " but the puzzle has "
                    + puzzle.length() + " cells");
        }
        return item;
    }

    /** The item {@code id}; its errors name {@code where} (the file, or its line). */
    private static SudokuItem item(String id, String where, String puzzle, String solution) {
        int size = puzzle.length() == 16 ? 4 : puzzle.length() == 81 ? 9 : -1;
        if (size < 0) {
            throw new DatasetException(where, "a puzzle has 16 (4x4) or 81 (9x9) cells, got " + puzzle.length());
        }
        try {
            SudokuItem item = new SudokuItem(id, size, puzzle, solution);
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
    public int answerTokens(SudokuItem item) {
        // The compact prompt is continued by the grid itself, row by row; a chat answer may reason first.
        return style == PromptStyle.COMPACT ? item.size() * (item.size() + 1) : Task.super.answerTokens(item);
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
        boolean solved = inRange && SudokuGrid.keepsClues(grid, puzzle) && SudokuGrid.isSolved(grid, size);
        String why = solved ? "valid solution keeping every clue"
                : !SudokuGrid.keepsClues(grid, puzzle) ? "changes a clue" : "breaks a row, column or box rule";
        if (partial == 0 || item.solution().isEmpty()) {
            return new Score(solved ? 1 : 0, true, solved, extracted, why);
        }
        int open = 0;
        int right = 0;
        for (int i = 0; i < cells; i++) {
            if (puzzle[i] == 0) {
                open++;
                right += grid[i] == item.solution().charAt(i) - '0' ? 1 : 0;
            }
        }
        double share = open == 0 ? 0 : (double) right / open;
        return new Score((solved ? 1 : 0) + partial * share, true, solved, extracted,
                why + "; " + right + "/" + open + " blanks as listed");
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
