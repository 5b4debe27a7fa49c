package dev.esactors.core.rl;

import java.util.Locale;

/**
 * The hyperparameters of a GRPO run (a run file's {@code grpo} block): how it samples, scores and updates. Values
 * are checked here, each error naming its run-file key, as {@code EsConfig} does for the es block.
 *
 * @param prompts      prompts per step
 * @param groupSize    completions sampled per prompt (G)
 * @param temperature  sampling temperature, > 0; the training pass takes its log-probs at it too (softmax(logits / T))
 * @param topP         nucleus sampling mass, in (0, 1]
 * @param learningRate AdamW's learning rate
 * @param beta1        AdamW's first-moment decay
 * @param beta2        AdamW's second-moment decay
 * @param adamEpsilon  AdamW's epsilon
 * @param weightDecay  AdamW's decoupled weight decay
 * @param gradClip     the global gradient norm is clipped to this; 0 = none
 * @param clipEpsilon  PPO's clip epsilon
 * @param passes       optimisation passes (mu) over each step's completions
 * @param klBeta       the KL coefficient against the base model; 0 = no reference model
 * @param scaling      advantage scaling
 * @param aggregation  loss aggregation
 */
public record GrpoSettings(int prompts, int groupSize, double temperature, double topP, double learningRate,
                           double beta1, double beta2, double adamEpsilon, double weightDecay, double gradClip,
                           double clipEpsilon, int passes, double klBeta, GroupAdvantages.Scaling scaling,
                           GrpoLoss.Aggregation aggregation) {

    public GrpoSettings {
        // upper bounds far past a step's useful size, below what one process's batch can hold
        between("grpo.prompts", prompts, 1, 4096);
        between("grpo.group-size", groupSize, 2, 4096);
        between("grpo.passes", passes, 1, 64);
        if ((long) prompts * groupSize > 65_536) {
            throw new IllegalArgumentException("grpo.prompts x grpo.group-size must be at most 65536 completions a "
                    + "step, got " + prompts + " x " + groupSize);
        }
        range("grpo.temperature", temperature, dev.esactors.core.model.SamplingConfig.MIN_TEMPERATURE, true, 100,
                true);
        range("grpo.top-p", topP, 0, false, 1, true);
        range("grpo.learning-rate", learningRate, 0, false, 1, true);
        range("grpo.adam-beta1", beta1, 0, true, 1, false);
        range("grpo.adam-beta2", beta2, 0, true, 1, false);
        range("grpo.adam-epsilon", adamEpsilon, 0, false, 1, true);
        range("grpo.weight-decay", weightDecay, 0, true, 1, true);
        range("grpo.grad-clip", gradClip, 0, true, 1e6, true);
        range("grpo.clip-epsilon", clipEpsilon, 0, false, 1, false);
        range("grpo.kl-beta", klBeta, 0, true, 1e3, true);
    }

    /** The loss these settings describe. */
    public GrpoLoss loss() {
        return new GrpoLoss(clipEpsilon, klBeta, aggregation);
    }

    /** {@code std} or {@code none} (key {@code grpo.advantage-scaling}). */
    public static GroupAdvantages.Scaling scaling(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "std" -> GroupAdvantages.Scaling.STD;
            case "none" -> GroupAdvantages.Scaling.NONE;
            default -> throw new IllegalArgumentException("grpo.advantage-scaling must be std or none, got '"
                    + value + "'");
        };
    }

    /** {@code token-mean} or {@code seq-mean-token-sum} (key {@code grpo.loss-aggregation}). */
    public static GrpoLoss.Aggregation aggregation(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "token-mean" -> GrpoLoss.Aggregation.TOKEN_MEAN;
            case "seq-mean-token-sum" -> GrpoLoss.Aggregation.SEQ_MEAN_TOKEN_SUM;
            default -> throw new IllegalArgumentException("grpo.loss-aggregation must be token-mean or "
                    + "seq-mean-token-sum, got '" + value + "'");
        };
    }

    private static void between(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    private static void range(String key, double value, double low, boolean lowIncluded, double high,
                              boolean highIncluded) {
        boolean ok = (lowIncluded ? value >= low : value > low) && (highIncluded ? value <= high : value < high);
        if (!ok) {
            throw new IllegalArgumentException(key + " must be in " + (lowIncluded ? "[" : "(") + low + ", " + high
                    + (highIncluded ? "]" : ")") + ", got " + value);
        }
    }
}
