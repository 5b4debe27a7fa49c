package dev.esactors.rewards.arc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Rendering ARC grids as digit rows and reading a grid back out of model text. */
public final class ArcGrids {

    /** ARC grids are at most 30 x 30. */
    static final int MAX_SIDE = 30;

    private ArcGrids() {
    }

    /** Rows of digits without separators, one row per line. */
    static String render(int[][] grid) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < grid.length; r++) {
            if (r > 0) {
                sb.append('\n');
            }
            for (int v : grid[r]) {
                sb.append(v);
            }
        }
        return sb.toString();
    }

    /**
     * The grid in {@code text}: inside the last {@code <answer>...</answer>} if there is one, the last block of
     * consecutive lines that hold only digits (spaces, commas and brackets between them are ignored). Null when
     * there is no such block or its rows differ in length.
     */
    static int[][] parse(String text) {
        String region = text;
        int close = text.lastIndexOf("</answer>");
        if (close >= 0) {
            int open = text.lastIndexOf("<answer>", close);
            if (open >= 0) {
                region = text.substring(open + "<answer>".length(), close);
            }
        }
        String[] lines = region.split("\n", -1);
        List<int[]> block = new ArrayList<>();
        List<int[]> last = null;
        for (String line : lines) {
            int[] row = digitRow(line);
            if (row != null) {
                block.add(row);
                if (block.size() > MAX_SIDE) {
                    return null;
                }
            } else if (!block.isEmpty()) {
                last = block;
                block = new ArrayList<>();
            }
        }
        if (!block.isEmpty()) {
            last = block;
        }
        if (last == null) {
            return null;
        }
        int width = last.get(0).length;
        for (int[] row : last) {
            if (row.length != width) {
                return null;
            }
        }
        return last.toArray(new int[0][]);
    }

    /** The digits of a line made only of digits, spaces, commas and brackets; null otherwise or if too long. */
    private static int[] digitRow(String line) {
        int[] row = new int[MAX_SIDE];
        int n = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c >= '0' && c <= '9') {
                if (n == MAX_SIDE) {
                    return null;
                }
                row[n++] = c - '0';
            } else if (c != ' ' && c != ',' && c != '[' && c != ']' && c != '\t' && c != '\r') {
                return null;
            }
        }
        return n == 0 ? null : Arrays.copyOf(row, n);
    }
}
