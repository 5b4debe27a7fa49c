package dev.esactors.train.eval;

import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.config.RunConfig;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A run never trains on its evaluation items: checked by prompt text before the run starts. */
public final class TrainTestSplit {

    private TrainTestSplit() {
    }

    /**
     * Reads the training items and every evaluation dataset (so that a bad line is reported with its file and line
     * before anything starts) and checks that no evaluation prompt is a training prompt.
     *
     * @throws IllegalArgumentException if a prompt of {@code eval.datasets} or {@code eval.validation} is also a
     *                                  training prompt, naming the key, the dataset, the count and an example
     */
    public static void check(RunConfig config) {
        Task<TaskItem> task = Tasks.createForOwnItems(config.task().name(), config.task().options());
        // Read even without evaluation datasets: a bad line of task.dataset is an error naming it before any work.
        List<TaskItem> training = trainingItems(config, task);
        if (config.eval().datasets().isEmpty()) {
            return;
        }
        Set<String> prompts = new HashSet<>();
        for (TaskItem item : training) {
            prompts.add(task.userPrompt(item));
        }
        java.util.Map<Path, String> datasets = new java.util.LinkedHashMap<>();
        config.eval().datasets().forEach(d -> datasets.put(d, "eval.datasets"));
        if (config.eval().validation() != null) {
            datasets.put(config.eval().validation(), "eval.validation");
        }
        for (Path dataset : datasets.keySet()) {
            int shared = 0;
            String example = null;
            for (TaskItem item : task.load(dataset)) {
                if (prompts.contains(task.userPrompt(item))) {
                    shared++;
                    example = example == null ? item.id() : example;
                }
            }
            if (shared > 0) {
                throw new IllegalArgumentException(datasets.get(dataset) + ": " + dataset + " shares " + shared
                        + " item(s) with the training items (" + (config.task().dataset() == null
                        ? "the task's built-in items" : config.task().dataset()) + "), e.g. " + example
                        + ": a run never trains on its evaluation items (use the task's test split)");
            }
        }
    }

    /** The run's training items: task.dataset, or the task's built-in (or generated) items. */
    public static List<TaskItem> trainingItems(RunConfig config, Task<TaskItem> task) {
        return config.task().dataset() == null ? task.builtIn() : task.load(config.task().dataset());
    }
}
