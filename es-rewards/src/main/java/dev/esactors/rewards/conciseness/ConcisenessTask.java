package dev.esactors.rewards.conciseness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.esactors.rewards.JsonLines;
import dev.esactors.rewards.Rewards;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;

import java.nio.file.Path;
import java.util.List;

/**
 * Conciseness, as in Qiu et al. 2025: reward = -|len(y) - len(s)| in characters, y the completion (trimmed) and s
 * the shortest correct answer; range (-inf, 0]. The normalised option divides by max(len(s), 1) and clips:
 * 1 - min(1, |len(y) - len(s)| / max(len(s), 1)), range [0, 1].
 */
public final class ConcisenessTask implements Task<ConcisenessItem> {

    private final boolean normalised;

    public ConcisenessTask(boolean normalised) {
        this.normalised = normalised;
    }

    @Override
    public String name() {
        return "conciseness";
    }

    @Override
    public String description() {
        return "Conciseness: reward -|len(completion) - len(shortest answer)| in characters (normalised=true: "
                + "1 - min(1, |difference| / len(answer)), in [0, 1])";
    }

    /** A completion over {@link Rewards#MAX_COMPLETION_CHARS} is at least that far from any answer's length. */
    @Override
    public double worstReward() {
        return normalised ? 0 : -Rewards.MAX_COMPLETION_CHARS;
    }

    /** JSON Lines with {@code question} (or {@code problem}) and {@code answer} (e.g. any math set). */
    @Override
    public List<ConcisenessItem> load(Path file) {
        return JsonLines.read(file, this::parseItem);
    }

    @Override
    public ConcisenessItem parseItem(JsonNode node, String where) {
        String question = JsonLines.firstText(node, where, "question", "problem");
        String id = node.hasNonNull("id") ? node.get("id").asText()
                : node.hasNonNull("unique_id") ? node.get("unique_id").asText() : where;
        return new ConcisenessItem(id, question, JsonLines.text(node, "answer", where));
    }

    @Override
    public String userPrompt(ConcisenessItem item) {
        return item.question();
    }

    @Override
    public Score score(ConcisenessItem item, String completion) {
        int length = completion.strip().codePointCount(0, completion.strip().length());
        int target = item.answer().codePointCount(0, item.answer().length());
        int gap = Math.abs(length - target);
        double reward = normalised ? 1 - Math.min(1.0, (double) gap / Math.max(target, 1)) : -gap;
        return new Score(reward, true, gap == 0, completion.strip().length() > 200
                ? completion.strip().substring(0, 200) : completion.strip(),
                length + " characters against " + target);
    }
}
