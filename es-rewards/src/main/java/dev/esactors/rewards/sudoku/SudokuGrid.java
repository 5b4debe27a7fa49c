package dev.esactors.rewards.sudoku;

import java.util.SplittableRandom;

/**
 * N x N Sudoku grids (N = 4 or 9) as row-major digit arrays, 0 for a blank: validity, agreement with clues,
 * and a bitmask backtracking solver that counts solutions up to a limit.
 */
public final class SudokuGrid {

    private SudokuGrid() {
    }

    /** The side of the boxes: 2 for 4x4, 3 for 9x9. */
    static int box(int size) {
        return switch (size) {
            case 4 -> 2;
            case 9 -> 3;
            default -> throw new IllegalArgumentException("Sudoku size must be 4 or 9, got " + size);
        };
    }

    /** Digits of a puzzle string such as "3102200002100320" ('0' or '.' for blanks); null if malformed. */
    static int[] parse(String text, int size) {
        if (text == null || text.length() != size * size) {
            return null;
        }
        int[] cells = new int[size * size];
        for (int i = 0; i < cells.length; i++) {
            char c = text.charAt(i);
            int d = c == '.' ? 0 : c - '0';
            if (d < 0 || d > size) {
                return null;
            }
            cells[i] = d;
        }
        return cells;
    }

    static String format(int[] cells) {
        StringBuilder sb = new StringBuilder(cells.length);
        for (int c : cells) {
            sb.append(c);
        }
        return sb.toString();
    }

    /** Whether a complete grid holds every digit once per row, column and box. */
    static boolean isSolved(int[] cells, int size) {
        int b = box(size);
        int full = (1 << size) - 1;
        for (int i = 0; i < size; i++) {
            int row = 0;
            int col = 0;
            int blk = 0;
            for (int j = 0; j < size; j++) {
                row |= bit(cells[i * size + j]);
                col |= bit(cells[j * size + i]);
                int r = (i / b) * b + j / b;
                int c = (i % b) * b + j % b;
                blk |= bit(cells[r * size + c]);
            }
            if (row != full || col != full || blk != full) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code grid} keeps every given clue of {@code puzzle}. */
    static boolean keepsClues(int[] grid, int[] puzzle) {
        for (int i = 0; i < puzzle.length; i++) {
            if (puzzle[i] != 0 && grid[i] != puzzle[i]) {
                return false;
            }
        }
        return true;
    }

    /** The number of solutions of {@code puzzle}, counting at most {@code limit}. */
    static int countSolutions(int[] puzzle, int size, int limit) {
        int[] cells = puzzle.clone();
        return solve(cells, size, limit, null);
    }

    /** Solves {@code cells} in place, trying digits in a random order at every cell; true if solved. */
    static boolean fill(int[] cells, int size, SplittableRandom random) {
        return solve(cells, size, 1, random) == 1;
    }

    private static int solve(int[] cells, int size, int limit, SplittableRandom random) {
        int b = box(size);
        int[] rows = new int[size];
        int[] cols = new int[size];
        int[] boxes = new int[size];
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] != 0) {
                int r = i / size;
                int c = i % size;
                int bit = bit(cells[i]);
                if ((rows[r] & bit) != 0 || (cols[c] & bit) != 0 || (boxes[(r / b) * b + c / b] & bit) != 0) {
                    return 0; // the clues already conflict
                }
                rows[r] |= bit;
                cols[c] |= bit;
                boxes[(r / b) * b + c / b] |= bit;
            }
        }
        return search(cells, size, b, rows, cols, boxes, limit, random);
    }

    private static int search(int[] cells, int size, int b, int[] rows, int[] cols, int[] boxes, int limit,
                              SplittableRandom random) {
        // most constrained blank first
        int best = -1;
        int bestCount = Integer.MAX_VALUE;
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] == 0) {
                int r = i / size;
                int c = i % size;
                int used = rows[r] | cols[c] | boxes[(r / b) * b + c / b];
                int count = size - Integer.bitCount(used);
                if (count < bestCount) {
                    best = i;
                    bestCount = count;
                }
            }
        }
        if (best < 0) {
            return 1;
        }
        int r = best / size;
        int c = best % size;
        int k = (r / b) * b + c / b;
        int used = rows[r] | cols[c] | boxes[k];
        int found = 0;
        int[] digits = digits(size, random);
        for (int n = 0; n < size; n++) {
            int d = digits[n];
            int bit = bit(d);
            if ((used & bit) != 0) {
                continue;
            }
            cells[best] = d;
            rows[r] |= bit;
            cols[c] |= bit;
            boxes[k] |= bit;
            found += search(cells, size, b, rows, cols, boxes, limit - found, random);
            if (found >= limit) {
                return found; // stop here, leaving the last solution found in place
            }
            rows[r] &= ~bit;
            cols[c] &= ~bit;
            boxes[k] &= ~bit;
        }
        cells[best] = 0;
        return found;
    }

    /** 1..N, shuffled when a random source is given. */
    private static int[] digits(int size, SplittableRandom random) {
        int[] d = new int[size];
        for (int i = 0; i < size; i++) {
            d[i] = i + 1;
        }
        if (random != null) {
            for (int i = size - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = d[i];
                d[i] = d[j];
                d[j] = t;
            }
        }
        return d;
    }

    private static int bit(int digit) {
        return digit == 0 ? 0 : 1 << (digit - 1);
    }
}
