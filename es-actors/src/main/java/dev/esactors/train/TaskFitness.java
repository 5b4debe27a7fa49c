package dev.esactors.train;

import dev.esactors.core.es.GroupFitness;
import dev.esactors.core.es.MemberScore;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.model.WeightDelta;
import dev.esactors.train.config.RunConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The fitness of a model on a run's task: iteration t's batch of prompts (a pure function of the run seed and t),
 * decoded greedily, each completion scored by the task's reward, averaged. The same code scores in the
 * single-process loop and in every Evaluator, which is why their weights agree bit for bit.
 */
public final class TaskFitness implements GroupFitness {

    private final TaskPrompts prompts;
    private final BatchGenerator generator;
    private final int batch;
    private final int maxNewTokens;
    private final Set<Integer> eos;

    /** Prepares {@code decoder} (whose parameters ES perturbs in place) to be scored on the run's task. */
    public TaskFitness(RunConfig config, Decoder decoder, Path modelDir) {
        this.prompts = new TaskPrompts(config, modelDir);
        this.generator = new BatchGenerator(decoder);
        this.batch = config.task().batch();
        this.maxNewTokens = config.task().maxNewTokens();
        this.eos = new HashSet<>(decoder.config().eosTokenIds());
    }

    /** The prompt tokens of iteration {@code t}'s batch (each member decodes after all of them). */
    public long promptTokens(long t) {
        return prompts.tokens(prompts.batch(t, batch));
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
        List<Integer> indexes = prompts.batch(t, batch);
        List<int[]> rows = new ArrayList<>(indexes.size() * members);
        for (int m = 0; m < members; m++) {
            for (int i : indexes) {
                rows.add(prompts.prompt(i));
            }
        }
        List<Completion> completions = generator.generate(rows, maxNewTokens, eos, SamplingConfig.GREEDY, delta);
        List<MemberScore> out = new ArrayList<>(members);
        for (int m = 0; m < members; m++) {
            double sum = 0;
            long tokens = 0;
            double[] perPrompt = new double[indexes.size()];
            for (int k = 0; k < indexes.size(); k++) {
                int[] generated = completions.get(m * indexes.size() + k).tokens();
                tokens += generated.length;
                perPrompt[k] = prompts.reward(indexes.get(k), generated);
                sum += perPrompt[k];
            }
            out.add(MemberScore.of(sum / indexes.size(), tokens, perPrompt));
        }
        return out;
    }
}
