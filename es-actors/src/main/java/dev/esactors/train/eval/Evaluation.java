package dev.esactors.train.eval;

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

    /**
     * Sums of per-item outcomes over some items: what one chunk of an evaluation sends back from an evaluator,
     * and what chunks add up to.
     *
     * @param items       items scored
     * @param right       items answered right
     * @param formatted   completions in the expected format
     * @param reward      sum of rewards
     * @param tokens      tokens generated
     * @param overContext items whose prompt did not fit the context
     */
    public record Tally(int items, int right, int formatted, double reward, long tokens, int overContext) {

        public static final Tally EMPTY = new Tally(0, 0, 0, 0, 0, 0);

        public Tally plus(Tally o) {
            return new Tally(items + o.items, right + o.right, formatted + o.formatted, reward + o.reward,
                    tokens + o.tokens, overContext + o.overContext);
        }

        /** The summary of these items, generated in {@code seconds}. */
        public Summary summary(String model, double seconds) {
            double n = Math.max(items, 1);
            return new Summary(model, items, right / n, reward / n, formatted / n, tokens / Math.max(seconds, 1e-9),
                    overContext);
        }
    }

    /** Evaluates {@code decoder} on {@code items}; each item's result goes to {@code sink}. */
    public static Summary run(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                              List<TaskItem> items, ChatTemplate template, String system, int batch, int maxNewTokens,
                              Consumer<ItemResult> sink) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("nothing to evaluate: no items");
        }
        long start = System.nanoTime();
        Tally tally = score(name, decoder, tokenizer, task, items, template, system, batch, maxNewTokens, sink);
        return tally.summary(name, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Decodes {@code items} greedily in batches of {@code batch} and scores them; each item's result goes to
     * {@code sink}. The total is the in-order sum of the batches' tallies, so an evaluation spread over evaluators
     * one batch each ({@link #scoreBatch}) adds up to exactly the same numbers.
     */
    public static Tally score(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                              List<TaskItem> items, ChatTemplate template, String system, int batch, int maxNewTokens,
                              Consumer<ItemResult> sink) {
        Tally total = Tally.EMPTY;
        for (int from = 0; from < items.size(); from += batch) {
            total = total.plus(scoreBatch(name, decoder, tokenizer, task,
                    items.subList(from, Math.min(items.size(), from + batch)), template, system, maxNewTokens, sink));
        }
        return total;
    }

    /** Decodes {@code items} as one greedy batch and scores them. */
    public static Tally scoreBatch(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                                   List<TaskItem> items, ChatTemplate template, String system, int maxNewTokens,
                                   Consumer<ItemResult> sink) {
        int right = 0;
        int formatted = 0;
        int overContext = 0;
        double reward = 0;
        long tokens = 0;
        List<TaskItem> fitting = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        for (TaskItem item : items) {
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
                fitting.add(item);
                prompts.add(prompt);
            }
        }
        if (!fitting.isEmpty()) {
            List<Completion> completions = new BatchGenerator(decoder).generate(prompts, maxNewTokens,
                    new HashSet<>(decoder.config().eosTokenIds()), SamplingConfig.GREEDY);
            for (int k = 0; k < fitting.size(); k++) {
                String text = tokenizer.decode(completions.get(k).tokens());
                Score score = Rewards.safeScore(task, fitting.get(k), text);
                tokens += completions.get(k).tokens().length;
                right += score.answerOk() ? 1 : 0;
                formatted += score.formatOk() ? 1 : 0;
                reward += score.reward();
                sink.accept(new ItemResult(name, fitting.get(k).id(), text, score));
            }
        }
        return new Tally(items.size(), right, formatted, reward, tokens, overContext);
    }
}
