package dev.esactors.train;

import dev.esactors.core.es.GroupFitness;
import dev.esactors.core.es.Member;
import dev.esactors.core.es.MemberScore;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.model.WeightDelta;
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
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The fitness of a model on a run's task: iteration t's batch of prompts (a pure function of the run seed and t),
 * decoded greedily, each completion scored by the task's reward, averaged. The same code scores in the
 * single-process loop and in every Evaluator, which is why their weights agree bit for bit.
 */
public final class TaskFitness implements GroupFitness {

    private final Task<TaskItem> task;
    private final List<TaskItem> items;
    private final List<int[]> prompts;
    private final BatchGenerator generator;
    private final HfTokenizer tokenizer;
    private final int batch;
    private final int maxNewTokens;
    private final Set<Integer> eos;

    /** Prepares {@code decoder} (whose parameters ES perturbs in place) to be scored on the run's task. */
    public TaskFitness(RunConfig config, Decoder decoder, Path modelDir) {
        Task<TaskItem> t = Tasks.createForOwnItems(config.task().name(), config.task().options());
        this.task = t;
        List<TaskItem> loaded = new ArrayList<>(TrainTestSplit.trainingItems(config, t));
        if (loaded.isEmpty()) {
            throw new IllegalArgumentException("task '" + t.name() + "' has no built-in items: set task.dataset");
        }
        // A fixed, seeded order, so that iteration t's batch is the same on every node and after a resume.
        Collections.shuffle(loaded, new Random(config.es().runSeed()));
        this.items = List.copyOf(loaded);
        this.tokenizer = HfTokenizer.load(modelDir);
        ChatTemplate template = ChatTemplate.parse(config.task().template());
        this.prompts = new ArrayList<>();
        for (TaskItem item : items) {
            String text = template.render(config.task().system(), t.userPrompt(item), t.assistantPrefix(item));
            int[] ids = tokenizer.encode(text);
            if (ids.length == 0) {
                throw new IllegalArgumentException("item " + item.id() + " encodes to no tokens");
            }
            prompts.add(ids);
        }
        this.generator = new BatchGenerator(decoder);
        this.batch = Math.min(config.task().batch(), items.size());
        this.maxNewTokens = config.task().maxNewTokens();
        this.eos = new HashSet<>(decoder.config().eosTokenIds());
    }

    /** Indexes of iteration {@code t}'s prompts: consecutive windows over the shuffled items, wrapping around. */
    List<Integer> batch(long t) {
        List<Integer> out = new ArrayList<>(batch);
        long start = t * batch;
        for (int i = 0; i < batch; i++) {
            out.add((int) ((start + i) % items.size()));
        }
        return out;
    }

    /** The mean reward of the model as it stands, on iteration {@code t}'s batch. */
    public double evaluate(long t) {
        return decode(t, 1, WeightDelta.NONE).get(0).reward();
    }

    /**
     * Iteration {@code iteration}'s batch, decoded once for each member of {@code group} in one batch of members x
     * batch rows (member-major, as {@code delta} expects), scored per member.
     */
    @Override
    public List<MemberScore> score(long iteration, List<Member> group, WeightDelta delta) {
        if (delta.members() != group.size()) {
            throw new IllegalArgumentException("a delta of " + delta.members() + " member(s) for a group of "
                    + group.size());
        }
        return decode(iteration, group.size(), delta);
    }

    private List<MemberScore> decode(long t, int members, WeightDelta delta) {
        List<Integer> indexes = batch(t);
        List<int[]> batchPrompts = new ArrayList<>(indexes.size() * members);
        for (int m = 0; m < members; m++) {
            for (int i : indexes) {
                batchPrompts.add(prompts.get(i));
            }
        }
        List<Completion> completions = generator.generate(batchPrompts, maxNewTokens, eos, SamplingConfig.GREEDY,
                delta);
        List<MemberScore> out = new ArrayList<>(members);
        for (int m = 0; m < members; m++) {
            double sum = 0;
            long tokens = 0;
            for (int k = 0; k < indexes.size(); k++) {
                int[] generated = completions.get(m * indexes.size() + k).tokens();
                tokens += generated.length;
                sum += Rewards.safeScore(task, items.get(indexes.get(k)), tokenizer.decode(generated)).reward();
            }
            out.add(MemberScore.of(sum / indexes.size(), tokens));
        }
        return out;
    }
}
