package dev.esactors.rewards.conciseness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.TaskItem;

/**
 * A question with its shortest correct answer.
 *
 * @param id       identifier
 * @param question the question
 * @param answer   the shortest correct answer s
 */
public record ConcisenessItem(String id, String question, String answer) implements TaskItem {

    @Override
    public ObjectNode toJson() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("id", id);
        node.put("question", question);
        node.put("answer", answer);
        return node;
    }
}
