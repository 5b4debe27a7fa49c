package dev.esactors.rewards;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One item of a task's dataset. */
public interface TaskItem {

    /** A stable identifier (dataset id, or file and line). */
    String id();

    /** The item as JSON, readable back by its task's {@link Task#parseItem}. */
    ObjectNode toJson();
}
