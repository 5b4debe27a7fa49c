package dev.esactors.rewards.countdown;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.TaskItem;

import java.util.List;

/**
 * A Countdown problem: reach {@code target} with each of {@code numbers} exactly once and + - * /.
 *
 * @param id       identifier
 * @param numbers  the numbers to use
 * @param target   the value to reach
 * @param context  the dataset's own prompt text, or empty to use the standard prompt
 * @param solution a known solution, or empty
 */
public record CountdownItem(String id, List<Integer> numbers, int target, String context, String solution)
        implements TaskItem {

    public CountdownItem {
        numbers = List.copyOf(numbers);
        if (numbers.isEmpty()) {
            throw new IllegalArgumentException("a Countdown item needs numbers");
        }
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("id", id);
        numbers.forEach(node.putArray("numbers")::add);
        node.put("target", target);
        if (!context.isEmpty()) {
            node.put("context", context);
        }
        if (!solution.isEmpty()) {
            node.put("solution", solution);
        }
        return node;
    }
}
