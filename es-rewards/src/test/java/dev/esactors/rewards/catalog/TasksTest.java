package dev.esactors.rewards.catalog;

import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Rewards;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tasks are found by name, options are checked, and chat templates wrap prompts as their models expect. */
class TasksTest {

    @Test
    void everyTaskIsFoundByNameWithItsOptions() {
        assertEquals(List.of("countdown", "math", "sudoku", "arc", "conciseness", "keyword"),
                Tasks.list().stream().map(Tasks.Entry::name).toList());
        assertEquals("sudoku", Tasks.create("Sudoku", Map.of("prompt", "compact", "partial", "0.2")).name());
        String unknown = assertThrows(IllegalArgumentException.class, () -> Tasks.create("chess", Map.of())).getMessage();
        assertTrue(unknown.contains("countdown, math, sudoku, arc, conciseness, keyword"), unknown);
        String option = assertThrows(IllegalArgumentException.class,
                () -> Tasks.create("countdown", Map.of("variant", "fancy"))).getMessage();
        assertTrue(option.contains("paper or tinyzero"), option);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tasks.create("math", Map.of("x", "1")))
                .getMessage().contains("no option 'x'"));
        assertEquals(Map.of("partial", "0.5"), Tasks.options(List.of("partial=0.5")));
    }

    @Test
    void chatTemplatesWrapTheUserMessage() {
        assertEquals("Q?<think>", ChatTemplate.RAW.render("", "Q?", "<think>"));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.CHATML.render("S", "Q?", ""));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nA", ChatTemplate.LLAMA3.render("", "Q?", "A"));
        assertEquals(ChatTemplate.CHATML, ChatTemplate.parse("qwen"));
    }

    @Test
    void safeScoreBoundsInputAndNeverThrows() {
        Task<TaskItem> math = Tasks.createForOwnItems("math", Map.of());
        TaskItem item = math.parseItem(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("problem", "1+1").put("answer", "2"), "inline");
        assertEquals(1.0, Rewards.safeScore(math, item, "\\boxed{2}").reward());
        assertEquals(0.0, Rewards.safeScore(math, item, "x".repeat(Rewards.MAX_COMPLETION_CHARS + 1)).reward());
        assertEquals(0.0, Rewards.safeScore(math, item, null).reward());
        // Conciseness rewards are negative (the closer to 0 the better): an unjudged completion gets its worst
        // reward, not the best one.
        Task<TaskItem> concise = Tasks.createForOwnItems("conciseness", Map.of());
        TaskItem question = concise.parseItem(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("question", "1+1?").put("answer", "2"), "inline");
        double tooLong = Rewards.safeScore(concise, question, "x".repeat(Rewards.MAX_COMPLETION_CHARS + 1)).reward();
        double long199k = Rewards.safeScore(concise, question, "x".repeat(Rewards.MAX_COMPLETION_CHARS - 1000))
                .reward();
        assertEquals(-Rewards.MAX_COMPLETION_CHARS, tooLong);
        assertTrue(tooLong < long199k && long199k < Rewards.safeScore(concise, question, "2").reward(),
                tooLong + " " + long199k);
    }
}
