package dev.esactors.rewards.sudoku;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.TaskItem;

/**
 * A Sudoku puzzle.
 *
 * @param id       identifier
 * @param size     4 or 9
 * @param puzzle   row-major digits, '0' for a blank
 * @param solution the listed solution (row-major), or empty; other valid solutions also score
 */
public record SudokuItem(String id, int size, String puzzle, String solution) implements TaskItem {

    public SudokuItem {
        SudokuGrid.box(size);
        if (SudokuGrid.parse(puzzle, size) == null) {
            throw new IllegalArgumentException("puzzle must be " + size * size + " digits 0-" + size + ", got "
                    + shown(puzzle));
        }
        if (!solution.isEmpty() && SudokuGrid.parse(solution, size) == null) {
            throw new IllegalArgumentException("solution must be " + size * size + " digits 1-" + size + ", got "
                    + shown(solution));
        }
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("id", id);
        node.put("size", size);
        node.put("puzzle", puzzle);
        if (!solution.isEmpty()) {
            node.put("solution", solution);
        }
        return node;
    }

    /** A value as an error message quotes it: whole when short, else its start and its length. */
    private static String shown(String value) {
        return value.length() <= 100 ? "'" + value + "'" : "'" + value.substring(0, 100) + "...' (" + value.length()
                + " characters)";
    }
}
