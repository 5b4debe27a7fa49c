package dev.esactors.train.base;

import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.RopeConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a base model is made from scratch ({@link BaseModelTrainer}): its shape, the task whose generated problems
 * and demonstrations it is trained on, the optimizer, and the stopping band on the validation set.
 *
 * @param task          task name
 * @param options       task options (those that make it generate training problems with demonstrations)
 * @param shape         the model's shape; its vocabulary must be {@link CharTokenizer}'s
 * @param seed          the initial weights' and the batches' seed
 * @param batch         problems per step
 * @param learningRate  AdamW's rate after the warm-up (betas 0.9 / 0.95, no weight decay)
 * @param warmup        steps of linear warm-up
 * @param gradClip      gradient norm clip
 * @param evalEvery     steps between greedy evaluations on the validation set
 * @param maxSteps      steps at most
 * @param bandLow       stop at the first evaluation whose accuracy reaches this
 * @param bandHigh      an accuracy above this at that evaluation overshot the band (evaluate more often)
 * @param validation    the dataset the stopping point is chosen on
 * @param out           the model directory written
 */
public record BaseModelSettings(String task, Map<String, String> options, ModelConfig shape, long seed, int batch,
                                double learningRate, int warmup, double gradClip, int evalEvery, int maxSteps,
                                double bandLow, double bandHigh, Path validation, Path out) {

    public BaseModelSettings {
        options = Map.copyOf(options);
        if (batch < 1 || warmup < 0 || evalEvery < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("batch, eval-every and max-steps must be >= 1 and warmup >= 0");
        }
        if (!(learningRate > 0) || !(gradClip > 0)) {
            throw new IllegalArgumentException("learning rate and gradient clip must be > 0");
        }
        if (!(bandLow > 0 && bandLow <= bandHigh && bandHigh <= 1)) {
            throw new IllegalArgumentException("the band must satisfy 0 < low <= high <= 1, got " + bandLow + ", "
                    + bandHigh);
        }
        if (shape.vocabSize() != CharTokenizer.vocabSize()) {
            throw new IllegalArgumentException("the shape's vocabulary (" + shape.vocabSize() + ") is not the "
                    + "character tokenizer's (" + CharTokenizer.vocabSize() + ")");
        }
    }

    /**
     * A Llama of the character vocabulary: {@code layers} layers of width {@code hidden} in heads of 32, an MLP
     * {@code 4 x hidden} wide, tied embeddings, {@code positions} positions.
     */
    public static ModelConfig llama(int hidden, int layers, int positions) {
        if (hidden % 32 != 0) {
            throw new IllegalArgumentException("the width must be a multiple of 32 (heads of 32), got " + hidden);
        }
        return new ModelConfig(Architecture.LLAMA, hidden, 4 * hidden, layers, hidden / 32, hidden / 32, 32,
                CharTokenizer.vocabSize(), positions, 1e-5, RopeConfig.plain(10000), true, false, false, false,
                CharTokenizer.BOS, List.of(CharTokenizer.EOS), CharTokenizer.PAD, 0.02);
    }
}
