package dev.esactors.core.model;

/**
 * One sequence's result of batched generation.
 *
 * @param prompt        the prompt token ids
 * @param tokens        the generated token ids, without the end-of-sequence token
 * @param stoppedAtEos  generation ended on an end-of-sequence token rather than the token limit
 */
public record Completion(int[] prompt, int[] tokens, boolean stoppedAtEos) {

    public Completion {
        prompt = prompt.clone();
        tokens = tokens.clone();
    }

    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }
}
