package dev.esactors.rewards.keyword;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.rewards.TaskItem;

/**
 * A story opening to continue.
 *
 * @param id     identifier
 * @param prompt the opening
 */
public record KeywordItem(String id, String prompt) implements TaskItem {

    @Override
    public ObjectNode toJson() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("id", id);
        node.put("prompt", prompt);
        return node;
    }
}
