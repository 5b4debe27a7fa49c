package dev.esactors.rewards.keyword;

import com.fasterxml.jackson.databind.JsonNode;
import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.JsonLines;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A toy task a tiny story model can improve at quickly: continue a story opening and use a target word. Reward =
 * how often the word occurs as a whole word (case-insensitive) in the completion, capped at {@code cap}; range
 * [0, cap]. The embedded stories260K's demo run uses it (the paper's tasks need larger models).
 */
public final class KeywordTask implements Task<KeywordItem> {

    /** TinyStories-style openings, the built-in dataset. */
    static final List<String> OPENINGS = List.of(
            "Once upon a time", "One day", "Tom and Sue", "The little dog", "Lily had a", "The sun was",
            "Max wanted to", "In the park", "Mom said", "The bird", "Ben found a", "It was a big",
            "The girl saw", "They went to", "A cat named", "At night");

    private final String word;
    private final int cap;

    public KeywordTask(String word, int cap) {
        if (word.isBlank() || !word.strip().chars().allMatch(Character::isLetter)) {
            throw new IllegalArgumentException("keyword option 'word' must be one word of letters, got '" + word + "'");
        }
        if (cap < 1) {
            throw new IllegalArgumentException("keyword option 'cap' must be >= 1, got " + cap);
        }
        this.word = word.strip().toLowerCase(Locale.ROOT);
        this.cap = cap;
    }

    @Override
    public String name() {
        return "keyword";
    }

    @Override
    public String description() {
        return "Story continuation using a target word: reward = whole-word occurrences of the word, capped "
                + "(a demo task for tiny story models)";
    }

    /** The built-in openings, so the task runs without a dataset. */
    @Override
    public List<KeywordItem> builtIn() {
        List<KeywordItem> items = new ArrayList<>();
        for (int i = 0; i < OPENINGS.size(); i++) {
            items.add(new KeywordItem("opening-" + i, OPENINGS.get(i)));
        }
        return items;
    }

    @Override
    public List<KeywordItem> load(Path file) {
        return JsonLines.read(file, this::parseItem);
    }

    @Override
    public KeywordItem parseItem(JsonNode node, String where) {
        if (!node.hasNonNull("prompt")) {
            throw new DatasetException(where, "missing string field 'prompt'");
        }
        return new KeywordItem(JsonLines.text(node, "id", where, where), JsonLines.text(node, "prompt", where));
    }

    @Override
    public String userPrompt(KeywordItem item) {
        return item.prompt();
    }

    @Override
    public boolean extractsAnswers() {
        return false; // it counts a word in the whole completion
    }

    @Override
    public Score score(KeywordItem item, String completion) {
        int count = 0;
        String text = completion.toLowerCase(Locale.ROOT);
        int from = 0;
        while (count < cap) {
            int at = text.indexOf(word, from);
            if (at < 0) {
                break;
            }
            int end = at + word.length();
            boolean whole = (at == 0 || !Character.isLetter(text.charAt(at - 1)))
                    && (end == text.length() || !Character.isLetter(text.charAt(end)));
            if (whole) {
                count++;
            }
            from = end;
        }
        return new Score(count, true, count > 0, "", count + " x '" + word + "'");
    }
}
