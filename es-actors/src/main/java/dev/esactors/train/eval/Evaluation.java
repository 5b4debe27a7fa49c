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
import dev.esactors.train.config.EvalSampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Accuracy of a model on a task's items: every item decoded greedily (batched) and scored by the task's reward, and,
 * for a sampled evaluation, K more answers per item sampled (pass@k, maj@K). The same code serves
 * {@code es-actors eval} and the evaluation rounds of a run.
 */
public final class Evaluation {

    /**
     * One item's outcome.
     *
     * @param completion the greedy completion
     * @param score      its score
     * @param samples    the sampled completions and their scores (empty for a greedy evaluation)
     */
    public record ItemResult(String model, String id, String completion, Score score, List<Sample> samples) {
        public ItemResult {
            samples = List.copyOf(samples);
        }
    }

    /** One sampled completion of an item and its score. */
    public record Sample(String completion, Score score) {
    }

    /**
     * @param model           model name
     * @param items           items evaluated
     * @param accuracy        share of items whose greedy answer was right (the task's answerOk): greedy pass@1
     * @param meanReward      mean reward of the greedy answers
     * @param formatRate      share of greedy completions in the expected format
     * @param tokensPerSecond generated tokens per second (greedy and sampled)
     * @param overContext     items whose prompt does not fit the model's context (scored as empty completions)
     * @param samples         answers sampled per item (0: a greedy evaluation, and the fields below are 0 / empty)
     * @param sampleAccuracy  share of all sampled answers that were right
     * @param majority        maj@K: share of items whose most frequent extracted answer over the samples was right
     *                        (NaN for tasks without extracted answers, {@link Task#extractsAnswers}, and greedy
     *                        evaluations)
     * @param passAtK         element k - 1: pass@k (Chen et al.'s unbiased estimator), k = 1 ... samples
     */
    public record Summary(String model, int items, double accuracy, double meanReward, double formatRate,
                          double tokensPerSecond, int overContext, int samples, double sampleAccuracy,
                          double majority, List<Double> passAtK) {
        public Summary {
            passAtK = List.copyOf(passAtK);
        }

        /** pass@k for k = 1 ... samples. */
        public double passAt(int k) {
            return passAtK.get(k - 1);
        }
    }

    private Evaluation() {
    }

    /**
     * Sums of per-item outcomes over some items: what one chunk of an evaluation sends back from an evaluator,
     * and what chunks add up to.
     *
     * @param items         items scored
     * @param right         items whose greedy answer was right
     * @param formatted     greedy completions in the expected format
     * @param reward        sum of the greedy answers' rewards
     * @param tokens        tokens generated (greedy and sampled)
     * @param overContext   items whose prompt did not fit the context
     * @param samples       answers sampled per item (0: greedy only)
     * @param sampledRight  right sampled answers, over all items
     * @param majorityRight items whose majority answer was right
     * @param voted         whether the task's answers were put to a majority vote ({@link Task#extractsAnswers})
     * @param passAtK       per k (element k - 1), the sum over items of pass@k
     */
    public record Tally(int items, int right, int formatted, double reward, long tokens, int overContext,
                        int samples, int sampledRight, int majorityRight, boolean voted, double[] passAtK) {

        public static final Tally EMPTY = new Tally(0, 0, 0, 0, 0, 0, 0, 0, 0, false, new double[0]);

        public Tally plus(Tally o) {
            if (samples != o.samples && items > 0 && o.items > 0) {
                throw new IllegalArgumentException("cannot add tallies of " + samples + " and " + o.samples
                        + " samples per item");
            }
            double[] sums = new double[Math.max(passAtK.length, o.passAtK.length)];
            for (int k = 0; k < sums.length; k++) {
                sums[k] = (k < passAtK.length ? passAtK[k] : 0) + (k < o.passAtK.length ? o.passAtK[k] : 0);
            }
            return new Tally(items + o.items, right + o.right, formatted + o.formatted, reward + o.reward,
                    tokens + o.tokens, overContext + o.overContext, Math.max(samples, o.samples),
                    sampledRight + o.sampledRight, majorityRight + o.majorityRight, voted || o.voted, sums);
        }

        /** The summary of these items, generated in {@code seconds}. */
        public Summary summary(String model, double seconds) {
            double n = Math.max(items, 1);
            List<Double> pass = new ArrayList<>();
            for (double sum : passAtK) {
                pass.add(sum / n);
            }
            return new Summary(model, items, right / n, reward / n, formatted / n, tokens / Math.max(seconds, 1e-9),
                    overContext, samples, sampledRight / (n * Math.max(samples, 1)),
                    voted ? majorityRight / n : Double.NaN, pass);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tally t && items == t.items && right == t.right && formatted == t.formatted
                    && Double.compare(reward, t.reward) == 0 && tokens == t.tokens && overContext == t.overContext
                    && samples == t.samples && sampledRight == t.sampledRight && majorityRight == t.majorityRight
                    && voted == t.voted && Arrays.equals(passAtK, t.passAtK);
        }

        @Override
        public int hashCode() {
            return Objects.hash(items, right, formatted, reward, tokens, overContext, samples, sampledRight,
                    majorityRight, voted, Arrays.hashCode(passAtK));
        }

        @Override
        public String toString() {
            return "Tally[items=" + items + ", right=" + right + ", formatted=" + formatted + ", reward=" + reward
                    + ", tokens=" + tokens + ", overContext=" + overContext + ", samples=" + samples
                    + ", sampledRight=" + sampledRight + ", majorityRight=" + majorityRight + ", voted=" + voted
                    + ", passAtK="
                    + Arrays.toString(passAtK) + "]";
        }
    }

    /**
     * How items are evaluated.
     *
     * @param template     chat template
     * @param system       system message
     * @param batch        items decoded together
     * @param maxNewTokens tokens generated per answer
     * @param sampling     sampled answers besides the greedy one
     */
    public record Settings(ChatTemplate template, String system, int batch, int maxNewTokens,
                           EvalSampling sampling) {
        public Settings {
            if (batch < 1 || maxNewTokens < 1) {
                throw new IllegalArgumentException("the batch and max new tokens of an evaluation must be >= 1, got "
                        + batch + " and " + maxNewTokens);
            }
        }
    }

    /** Evaluates {@code decoder} on {@code items}; each item's result goes to {@code sink}. */
    public static Summary run(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                              List<TaskItem> items, Settings settings, Consumer<ItemResult> sink) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("nothing to evaluate: no items");
        }
        long start = System.nanoTime();
        Tally tally = score(name, decoder, tokenizer, task, items, settings, sink);
        return tally.summary(name, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Decodes {@code items} in batches of {@code settings.batch()} and scores them; each item's result goes to
     * {@code sink}. The total is the in-order sum of the batches' tallies, so an evaluation spread over evaluators
     * one batch each ({@link #scoreBatch}) adds up to exactly the same numbers.
     */
    public static Tally score(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                              List<TaskItem> items, Settings settings, Consumer<ItemResult> sink) {
        Tally total = Tally.EMPTY;
        for (int from = 0; from < items.size(); from += settings.batch()) {
            total = total.plus(scoreBatch(name, decoder, tokenizer, task,
                    items.subList(from, Math.min(items.size(), from + settings.batch())), from, settings, sink));
        }
        return total;
    }

    /**
     * Decodes {@code items} (items {@code firstItem}, {@code firstItem + 1}, ... of their dataset) as one greedy
     * batch, and once per sample as a sampled batch, and scores them.
     */
    public static Tally scoreBatch(String name, Decoder decoder, HfTokenizer tokenizer, Task<TaskItem> task,
                                   List<TaskItem> items, int firstItem, Settings settings,
                                   Consumer<ItemResult> sink) {
        int maxNewTokens = settings.maxNewTokens();
        int samples = settings.sampling().samples();
        List<TaskItem> fitting = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        Score[] greedy = new Score[items.size()];
        String[] greedyText = new String[items.size()];
        Sample[][] sampled = new Sample[items.size()][samples];
        List<Integer> fittingIndex = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            TaskItem item = items.get(i);
            int[] prompt = tokenizer.encode(settings.template().render(settings.system(), task, item));
            if (prompt.length + maxNewTokens > decoder.config().maxPositions()) {
                // The model cannot answer it: it scores as an empty answer would, and the evaluation goes on.
                Score empty = Rewards.safeScore(task, item, "");
                greedy[i] = new Score(empty.reward(), false, false, "", "prompt of " + prompt.length
                        + " tokens + " + maxNewTokens + " new exceeds the model's context of "
                        + decoder.config().maxPositions() + "; scored as an empty completion");
                greedyText[i] = "";
                Arrays.fill(sampled[i], new Sample("", greedy[i]));
            } else {
                fitting.add(item);
                fittingIndex.add(i);
                prompts.add(prompt);
            }
        }
        long tokens = 0;
        if (!fitting.isEmpty()) {
            Set<Integer> eos = new HashSet<>(decoder.config().eosTokenIds());
            BatchGenerator generator = new BatchGenerator(decoder);
            for (int s = -1; s < samples; s++) {
                // s = -1: the greedy answers; then each sample as a batch of its own, seeded by (first item, s).
                List<Completion> completions = generator.generate(prompts, maxNewTokens, eos,
                        s < 0 ? SamplingConfig.GREEDY : settings.sampling().forSample(firstItem, s));
                for (int k = 0; k < fitting.size(); k++) {
                    String text = tokenizer.decode(completions.get(k).tokens());
                    Score score = Rewards.safeScore(task, fitting.get(k), text);
                    tokens += completions.get(k).tokens().length;
                    int i = fittingIndex.get(k);
                    if (s < 0) {
                        greedy[i] = score;
                        greedyText[i] = text;
                    } else {
                        sampled[i][s] = new Sample(text, score);
                    }
                }
            }
        }
        int right = 0;
        int formatted = 0;
        int overContext = items.size() - fitting.size();
        int sampledRight = 0;
        int majorityRight = 0;
        double reward = 0;
        double[] passAtK = new double[samples];
        for (int i = 0; i < items.size(); i++) {
            right += greedy[i].answerOk() ? 1 : 0;
            formatted += greedy[i].formatOk() ? 1 : 0;
            reward += greedy[i].reward();
            if (samples > 0) {
                int c = 0;
                for (Sample sample : sampled[i]) {
                    c += sample.score().answerOk() ? 1 : 0;
                }
                sampledRight += c;
                majorityRight += task.extractsAnswers() && majorityRight(sampled[i]) ? 1 : 0;
                double[] curve = PassAtK.curve(samples, c);
                for (int k = 0; k < samples; k++) {
                    passAtK[k] += curve[k];
                }
            }
            sink.accept(new ItemResult(name, items.get(i).id(), greedyText[i], greedy[i], List.of(sampled[i])));
        }
        return new Tally(items.size(), right, formatted, reward, tokens, overContext, samples, sampledRight,
                majorityRight, samples > 0 && task.extractsAnswers(), passAtK);
    }

    /**
     * Whether the majority vote over the samples' extracted answers is right: the answer extracted most often
     * (of answers extracted equally often, the one that got there first; completions without an answer do not
     * vote) judged by its first sample.
     */
    static boolean majorityRight(Sample[] samples) {
        Map<String, Integer> votes = new HashMap<>();
        Map<String, Sample> first = new HashMap<>();
        Sample chosen = null;
        int most = 0;
        for (Sample s : samples) {
            String answer = s.score().extracted();
            if (answer.isEmpty()) {
                continue;
            }
            first.putIfAbsent(answer, s);
            int n = votes.merge(answer, 1, Integer::sum);
            if (n > most) {
                most = n;
                chosen = first.get(answer);
            }
        }
        return chosen != null && chosen.score().answerOk();
    }
}
