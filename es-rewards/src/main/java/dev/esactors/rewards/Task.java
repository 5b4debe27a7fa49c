package dev.esactors.rewards;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;

/**
 * A task: a dataset of items, the prompt each item becomes, and an outcome reward for a completion.
 * Rewards judge untrusted model output: {@link #score} never throws and bounds its work.
 *
 * @param <I> the task's item type
 */
public interface Task<I extends TaskItem> {

    /** The name the task is found by, e.g. {@code countdown}. */
    String name();

    /** One line: what the task is and the range of its reward. */
    String description();

    /** Reads a dataset file (the layouts the task knows); errors name the file and line. */
    List<I> load(Path file);

    /** Items the task ships with, for runs without a dataset file (empty for tasks that need one). */
    default List<I> builtIn() {
        return List.of();
    }

    /** Reads one item from JSON, as {@link TaskItem#toJson()} writes it; {@code where} names it in errors. */
    I parseItem(JsonNode node, String where);

    /** The user message of an item (the chat template wraps it). */
    String userPrompt(I item);

    /** Text the assistant turn starts with, which the completion continues (e.g. {@code "<think>"}). */
    default String assistantPrefix(I item) {
        return "";
    }

    /**
     * The completion a model is taught to give for {@code item} when it is trained on demonstrations (a base model
     * made from scratch), or empty when the task has none for it.
     */
    default String demonstration(I item) {
        return "";
    }

    /** The reward of {@code completion} for {@code item}. Never throws; unjudgeable input scores 0 with a reason. */
    Score score(I item, String completion);

    /**
     * Whether scores carry the answer read from a completion ({@link Score#extracted}), so that sampled answers can
     * be put to a majority vote (maj@K). False for tasks that judge the whole completion.
     */
    default boolean extractsAnswers() {
        return true;
    }

    /**
     * The most tokens an answer to {@code item} needs, as evaluation's default for max new tokens (clamped to the
     * model's context): the length in characters of the longest answer, for tasks whose answers have one (a
     * tokenizer's token covers at least one character), else 256.
     */
    default int answerTokens(I item) {
        return 256;
    }

    /**
     * The reward of a completion that cannot be judged (too long, or the reward failed): the task's worst, so that
     * it never beats a judged one. 0 for tasks whose rewards are not negative.
     */
    default double worstReward() {
        return 0;
    }
}
