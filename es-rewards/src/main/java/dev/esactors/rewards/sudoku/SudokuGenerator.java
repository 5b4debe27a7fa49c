package dev.esactors.rewards.sudoku;

import java.util.SplittableRandom;

/** A seeded generator of Sudoku puzzles with exactly one solution. */
public final class SudokuGenerator {

    private final SplittableRandom random;

    public SudokuGenerator(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * A puzzle of side {@code size} (4 or 9) with up to {@code blanks} blank cells: a random full grid, then cells
     * removed in random order as long as the solution stays unique.
     */
    public SudokuItem next(int size, int blanks) {
        int cellsCount = size * size;
        if (blanks < 0 || blanks >= cellsCount) {
            throw new IllegalArgumentException("blanks must be in [0, " + (cellsCount - 1) + "], got " + blanks);
        }
        int[] solution = new int[cellsCount];
        SudokuGrid.fill(solution, size, random); // random digit order at every cell: any valid grid can come out
        int[] puzzle = solution.clone();
        int removed = 0;
        for (int cell : permutation(cellsCount, 0)) {
            if (removed == blanks) {
                break;
            }
            int keep = puzzle[cell];
            puzzle[cell] = 0;
            if (SudokuGrid.countSolutions(puzzle, size, 2) == 1) {
                removed++;
            } else {
                puzzle[cell] = keep;
            }
        }
        return new SudokuItem("generated-" + SudokuGrid.format(puzzle), size, SudokuGrid.format(puzzle),
                SudokuGrid.format(solution));
    }

    private int[] permutation(int n, int offset) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i + offset;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
