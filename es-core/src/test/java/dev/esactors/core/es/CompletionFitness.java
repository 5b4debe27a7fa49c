package dev.esactors.core.es;

import dev.esactors.core.es.noise.Member;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;

import java.util.List;
import java.util.Set;

/**
 * A test fitness for the engine without tasks (es-core knows none): greedily decode a fixed batch of prompts with the
 * (perturbed) model and average a reward over the completions. Runs use es-actors' TaskFitness.
 */
public final class CompletionFitness implements FitnessFunction {

    /** Scores one completion: prompt {@code index} of the batch, generated tokens (EOS excluded). */
    @FunctionalInterface
    public interface CompletionReward {
        double score(int index, Completion completion);
    }

    private final BatchGenerator generator;
    private final List<int[]> prompts;
    private final int maxNewTokens;
    private final Set<Integer> eosIds;
    private final CompletionReward reward;

    public CompletionFitness(Decoder decoder, List<int[]> prompts, int maxNewTokens, Set<Integer> eosIds,
                             CompletionReward reward) {
        this.generator = new BatchGenerator(decoder);
        this.prompts = List.copyOf(prompts);
        this.maxNewTokens = maxNewTokens;
        this.eosIds = Set.copyOf(eosIds);
        this.reward = reward;
    }

    @Override
    public double evaluate(long iteration, Member member) {
        return mean();
    }

    /** The mean reward of the model as it is now. */
    public double mean() {
        List<Completion> completions = generator.generate(prompts, maxNewTokens, eosIds, SamplingConfig.GREEDY);
        double sum = 0;
        for (int i = 0; i < completions.size(); i++) {
            sum += reward.score(i, completions.get(i));
        }
        return sum / completions.size();
    }
}
