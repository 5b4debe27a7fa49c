package dev.esactors.rewards.math;

import com.fasterxml.jackson.databind.JsonNode;
import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.JsonLines;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Math word problems with a single final answer (MATH500, MATH train, AIME24, AMC23, Minerva, OlympiadBench):
 * reward 1 when the last {@code \boxed{}} of the completion is equivalent to the reference, else 0.
 */
public final class MathTask implements Task<MathItem> {

    static final String INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}.";

    @Override
    public String name() {
        return "math";
    }

    @Override
    public String description() {
        return "Math with a boxed final answer (MATH500, MATH, AIME24, AMC23, Minerva, OlympiadBench): reward 1 if "
                + "the last \\boxed{} is equivalent to the reference, else 0";
    }

    @Override
    public List<MathItem> load(Path file) {
        return JsonLines.read(file, this::parseItem);
    }

    /**
     * The layouts differ: the question is {@code problem} or {@code question}; the answer is {@code answer},
     * OlympiadBench's {@code final_answer} list, or (Minerva) the boxed answer of {@code solution}.
     */
    @Override
    public MathItem parseItem(JsonNode node, String where) {
        String question = JsonLines.firstText(node, where, "problem", "question");
        String answer = answer(node, where);
        String id = node.hasNonNull("unique_id") ? node.get("unique_id").asText()
                : node.hasNonNull("id") ? node.get("id").asText()
                : node.hasNonNull("idx") ? node.get("idx").asText() : where;
        return new MathItem(id, question, answer);
    }

    private static String answer(JsonNode node, String where) {
        if (node.hasNonNull("answer")) {
            return JsonLines.text(node, "answer", where);
        }
        JsonNode finalAnswer = node.get("final_answer");
        if (finalAnswer != null && !finalAnswer.isNull()) {
            if (finalAnswer.isArray()) {
                List<String> parts = new ArrayList<>();
                finalAnswer.forEach(p -> parts.add(p.asText()));
                return String.join(",", parts);
            }
            return finalAnswer.asText();
        }
        JsonNode solution = node.get("solution");
        if (solution != null && !solution.isNull()) {
            String text = solution.isArray() ? solution.toString() : solution.asText();
            String boxed = Boxed.last(text);
            if (boxed != null) {
                return boxed;
            }
            throw new DatasetException(where, "field 'solution' has no \\boxed{} answer and there is no 'answer'");
        }
        throw new DatasetException(where, "missing field 'answer' (or 'final_answer', or a boxed 'solution')");
    }

    @Override
    public String userPrompt(MathItem item) {
        return item.question() + "\n" + INSTRUCTION;
    }

    @Override
    public Score score(MathItem item, String completion) {
        String answer = Boxed.last(completion);
        if (answer == null) {
            return new Score(0, false, false, "", "no \\boxed{} answer");
        }
        boolean right = MathEquivalence.equivalent(answer, item.answer());
        return new Score(right ? 1 : 0, Boxed.hasBox(completion), right, answer,
                right ? "equivalent to the reference" : "not equivalent to the reference '" + item.answer() + "'");
    }
}
