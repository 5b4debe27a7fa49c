package dev.esactors.train;

import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Rewards;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.TrainTestSplit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A run's training prompts: the task's items in a fixed order shuffled by the run seed, rendered with the chat
 * template and tokenized, taken in consecutive windows per iteration, and the task's reward for a completion of
 * one. ES scores its members on them ({@link TaskFitness}); GRPO samples on them.
 */
public final class TaskPrompts implements AutoCloseable {

    private final Task<TaskItem> task;
    private final List<TaskItem> items;
    private final List<int[]> prompts = new ArrayList<>();
    private final HfTokenizer tokenizer;

    /** The prompts of {@code config}'s task, tokenized with the tokenizer in {@code modelDir}. */
    public TaskPrompts(RunConfig config, Path modelDir) {
        this.task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        List<TaskItem> loaded = new ArrayList<>(TrainTestSplit.trainingItems(config, task));
        if (loaded.isEmpty()) {
            throw new IllegalArgumentException("task '" + task.name() + "' has no built-in items: set task.dataset");
        }
        // A fixed, seeded order, so that iteration t's batch is the same on every node and after a resume.
        Collections.shuffle(loaded, new Random(config.es().runSeed()));
        this.items = List.copyOf(loaded);
        this.tokenizer = HfTokenizer.load(modelDir);
        ChatTemplate template = ChatTemplate.parse(config.task().template());
        int context = ConfigJson.read(modelDir).maxPositions();
        int maxNew = config.task().maxNewTokens();
        for (TaskItem item : items) {
            String text = template.render(config.task().system(), task, item);
            int[] ids = tokenizer.encode(text);
            if (ids.length == 0) {
                throw new IllegalArgumentException("item " + item.id() + " encodes to no tokens");
            }
            if (ids.length + maxNew > context) { // it would fail the run at the iteration that first decodes it
                tokenizer.close();
                throw new IllegalArgumentException("task: the prompt of item " + item.id() + " is " + ids.length
                        + " tokens (with task.template and task.system), which with task.max-new-tokens = " + maxNew
                        + " exceeds the model's context of " + context + " positions");
            }
            prompts.add(ids);
        }
    }

    /** Checks that every training prompt of {@code config} fits its model with the answer (see the constructor). */
    public static void checkFit(RunConfig config) {
        new TaskPrompts(config, dev.esactors.train.config.BaseModel.dir(config)).close();
    }

    /** How many items there are. */
    public int size() {
        return items.size();
    }

    /**
     * Indexes of iteration {@code t}'s {@code size} prompts (at most all items): consecutive windows over the
     * shuffled items, wrapping around.
     */
    public List<Integer> batch(long t, int size) {
        int n = Math.min(size, items.size());
        List<Integer> out = new ArrayList<>(n);
        long start = t * n;
        for (int i = 0; i < n; i++) {
            out.add((int) ((start + i) % items.size()));
        }
        return out;
    }

    /** The tokens of the prompts {@code indexes}, together. */
    public long tokens(List<Integer> indexes) {
        long sum = 0;
        for (int i : indexes) {
            sum += prompts.get(i).length;
        }
        return sum;
    }

    /** The token ids of prompt {@code index}. */
    public int[] prompt(int index) {
        return prompts.get(index);
    }

    /** The task's reward of generated {@code tokens} after prompt {@code index} ({@link Rewards#safeScore}). */
    public double reward(int index, int[] tokens) {
        return Rewards.safeScore(task, items.get(index), tokenizer.decode(tokens)).reward();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
