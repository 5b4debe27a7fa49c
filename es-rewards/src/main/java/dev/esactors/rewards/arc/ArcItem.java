package dev.esactors.rewards.arc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.TaskItem;

import java.util.List;

/**
 * One test pair of an ARC-AGI task, with the task's demonstration pairs.
 *
 * @param id     task id and test index, e.g. {@code 007bbfb7#0}
 * @param train  demonstration pairs
 * @param input  the test input grid
 * @param output the expected test output grid
 */
public record ArcItem(String id, List<Pair> train, int[][] input, int[][] output) implements TaskItem {

    /** A demonstration: input grid and output grid. */
    public record Pair(int[][] input, int[][] output) {
    }

    @Override
    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = json.createObjectNode();
        node.put("id", id);
        ArrayNode trainNode = node.putArray("train");
        for (Pair p : train) {
            ObjectNode pair = trainNode.addObject();
            pair.set("input", grid(json, p.input()));
            pair.set("output", grid(json, p.output()));
        }
        ObjectNode test = node.putArray("test").addObject();
        test.set("input", grid(json, input));
        test.set("output", grid(json, output));
        return node;
    }

    private static ArrayNode grid(ObjectMapper json, int[][] g) {
        ArrayNode rows = json.createArrayNode();
        for (int[] row : g) {
            ArrayNode r = rows.addArray();
            for (int v : row) {
                r.add(v);
            }
        }
        return rows;
    }
}
