package dev.esactors.rewards.math;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.TaskItem;

/**
 * A math problem with its reference final answer.
 *
 * @param id       dataset identifier
 * @param question the problem statement
 * @param answer   the reference final answer (LaTeX)
 */
public record MathItem(String id, String question, String answer) implements TaskItem {

    @Override
    public ObjectNode toJson() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("id", id);
        node.put("problem", question);
        node.put("answer", answer);
        return node;
    }
}
