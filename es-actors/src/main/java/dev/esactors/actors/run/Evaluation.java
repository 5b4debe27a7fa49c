package dev.esactors.actors.run;

import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Rewards;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * Accuracy of a model on a task's items: every item decoded greedily (batched) and scored by the task's reward.
 * The same code serves {@code es-actors eval} and the base-vs-ES table at the end of a run.
 */
public final class Evaluation {

    /** One item's outcome. */
    public record ItemResult(String model, String id, String completion, Score score) {
    }

    /**
     * @param model          model name
     * @param items          items evaluated
     * @param accuracy       share of items answered right (the task's answerOk)
     * @param meanReward     mean reward
     * @param formatRate     share of completions in the expected format
     * @param tokensPerSecond generated tokens per second
     * @param overContext    items whose prompt does not fit the model's context (scored as empty completions)
     */
    public record Summary(String model, int items, double accuracy, double meanReward, double formatRate,
                          double tokensPerSecond, int overContext) {
    }

    private Evaluation() {
    }

    /** Evaluates {@code decoder} on {@code items}; each item's result goes to {@code sink}. */
    public static Summary run(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                              List<TaskItem> items, ChatTemplate template, String system, int batch, int maxNewTokens,
                              Consumer<ItemResult> sink) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("nothing to evaluate: no items");
        }
        BatchGenerator generator = new BatchGenerator(decoder);
        HashSet<Integer> eos = new HashSet<>(decoder.config().eosTokenIds());
        int right = 0;
        int formatted = 0;
        int overContext = 0;
        double reward = 0;
        long tokens = 0;
        long start = System.nanoTime();
        for (int from = 0; from < items.size(); from += batch) {
            List<TaskItem> chunk = new ArrayList<>();
            List<int[]> prompts = new ArrayList<>();
            for (TaskItem item : items.subList(from, Math.min(items.size(), from + batch))) {
                int[] prompt = tokenizer.encode(template.render(system, task.userPrompt(item), task.assistantPrefix(item)));
                if (prompt.length + maxNewTokens > decoder.config().maxPositions()) {
                    // The model cannot answer it: it scores as an empty answer would, and the evaluation goes on.
                    Score empty = Rewards.safeScore(task, item, "");
                    Score score = new Score(empty.reward(), false, false, "", "prompt of " + prompt.length
                            + " tokens + " + maxNewTokens + " new exceeds the model's context of "
                            + decoder.config().maxPositions() + "; scored as an empty completion");
                    reward += score.reward();
                    overContext++;
                    sink.accept(new ItemResult(name, item.id(), "", score));
                } else {
                    chunk.add(item);
                    prompts.add(prompt);
                }
            }
            if (chunk.isEmpty()) {
                continue;
            }
            List<Completion> completions = generator.generate(prompts, maxNewTokens, eos, SamplingConfig.GREEDY);
            for (int k = 0; k < chunk.size(); k++) {
                String text = tokenizer.decode(completions.get(k).tokens());
                Score score = Rewards.safeScore(task, chunk.get(k), text);
                tokens += completions.get(k).tokens().length;
                right += score.answerOk() ? 1 : 0;
                formatted += score.formatOk() ? 1 : 0;
                reward += score.reward();
                sink.accept(new ItemResult(name, chunk.get(k).id(), text, score));
            }
        }
        double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
        int n = items.size();
        return new Summary(name, n, (double) right / n, reward / n, (double) formatted / n, tokens / seconds,
                overContext);
    }
}
