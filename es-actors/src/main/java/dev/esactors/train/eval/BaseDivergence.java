package dev.esactors.train.eval;

import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.Scopes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The mean per-token KL divergence KL(current || base) on fixed prompts, teacher-forced on the base model's greedy
 * completions of them: how far the next-token distributions moved where the base model was sure what to say. The
 * base model's log-probabilities are computed once and kept (on the CPU, float32: prompts x tokens x vocabulary).
 */
public final class BaseDivergence {

    private final List<int[]> sequences = new ArrayList<>();
    private final List<Integer> promptLengths = new ArrayList<>();
    private final List<Tensor> baseLogProbs = new ArrayList<>(); // (completion tokens, V) per sequence
    private final int tokens;

    /**
     * Decodes {@code prompts} greedily with {@code base} for up to {@code maxNewTokens} tokens and keeps the base
     * model's log-probabilities over those completions. Prompts whose completion is empty, or that do not fit the
     * context, are left out; when none is left there is nothing to compare on, and {@link #meanKl} is NaN (a
     * monitor without data reports none; it does not stop the run).
     */
    public BaseDivergence(Decoder base, List<int[]> prompts, int maxNewTokens) {
        List<int[]> fitting = prompts.stream()
                .filter(p -> p.length > 0 && p.length + maxNewTokens <= base.config().maxPositions()).toList();
        List<Completion> completions = fitting.isEmpty() ? List.of() : new BatchGenerator(base).generate(fitting,
                maxNewTokens, new HashSet<>(base.config().eosTokenIds()), SamplingConfig.GREEDY);
        int total = 0;
        for (int i = 0; i < fitting.size(); i++) {
            int[] completion = completions.get(i).tokens();
            if (completion.length == 0) {
                continue;
            }
            int[] prompt = fitting.get(i);
            int[] sequence = new int[prompt.length + completion.length];
            System.arraycopy(prompt, 0, sequence, 0, prompt.length);
            System.arraycopy(completion, 0, sequence, prompt.length, completion.length);
            sequences.add(sequence);
            promptLengths.add(prompt.length);
            try (PointerScope scope = new PointerScope()) {
                baseLogProbs.add(Scopes.keep(scope, completionLogProbs(base, sequence, prompt.length)));
            }
            total += completion.length;
        }
        this.tokens = total;
    }

    /** Completion tokens the divergence averages over. */
    public int tokens() {
        return tokens;
    }

    /** The mean over completion tokens of KL(current || base), in nats; NaN without completion tokens. */
    public double meanKl(Decoder current) {
        if (tokens == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < sequences.size(); i++) {
            try (PointerScope scope = new PointerScope()) {
                Tensor logP = completionLogProbs(current, sequences.get(i), promptLengths.get(i));
                Tensor logQ = baseLogProbs.get(i);
                // sum_v p (log p - log q) per position, summed over positions
                sum += logP.exp().mul(logP.sub(logQ)).sum().item_double();
            }
        }
        return sum / tokens;
    }

    /** (completion tokens, V) float32 CPU log-probabilities of the next token at each completion position. */
    private static Tensor completionLogProbs(Decoder decoder, int[] sequence, int promptLength) {
        Tensor logits = decoder.sequenceLogits(sequence); // (T, V), float32 on the CPU
        // position j predicts token j + 1: the completion's tokens are predicted from promptLength - 1 on
        return torch.log_softmax(logits.narrow(0, promptLength - 1, sequence.length - promptLength), -1);
    }
}
