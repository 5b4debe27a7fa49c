package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.Arrays;
import java.util.List;

/**
 * Per-token log-probabilities of completions, the training forward pass of RL fine-tuning: prompt + completion of
 * every row in one causal pass over the left-padded batch (no token-by-token decoding), through the decoder's own
 * layers and weights. When the decoder's parameters require grad, LibTorch's autograd records the pass, so a loss
 * built on the result back-propagates to them. Inference keeps its KV-cache path; this reuses it with one cache the
 * size of the batch.
 */
public final class TokenLogProbs {

    private static final float MASKED = Float.NEGATIVE_INFINITY;

    /**
     * The log-probabilities of a batch, aligned with the left-padded rows: column j holds log p(token j + 1 | tokens
     * 0..j) of the row's sequence.
     *
     * @param logProbs (B, W - 1), float32 (float64 for a float64 decoder); 0 where {@code mask} is 0
     * @param mask     (B, W - 1), same dtype: 1 where token j + 1 is one of the row's completion tokens
     * @param width    W, the padded length of prompt + completion
     */
    public record Batch(Tensor logProbs, Tensor mask, int width) {
    }

    private TokenLogProbs() {
    }

    /**
     * The log-probabilities of {@code completions} (row b's tokens after prompt b; possibly empty) under
     * {@code decoder}. Every prompt holds at least one token.
     */
    public static Batch of(Decoder decoder, List<int[]> prompts, List<int[]> completions) {
        return of(decoder, prompts, completions, 1);
    }

    /**
     * As above under the distribution a sampler at {@code temperature} draws from, softmax(logits / T): what a policy
     * gradient of completions sampled at T must be taken through (the samplers' nucleus truncation is not part of it,
     * as in TRL's GRPO). At T = 1 the logits are used as they are, so the bits are those of {@link #of(Decoder,
     * List, List)}.
     */
    public static Batch of(Decoder decoder, List<int[]> prompts, List<int[]> completions, double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("the temperature of a training pass must be > 0, got " + temperature);
        }
        if (prompts.size() != completions.size() || prompts.isEmpty()) {
            throw new IllegalArgumentException("need one completion per prompt and at least one row, got "
                    + prompts.size() + " prompts and " + completions.size() + " completions");
        }
        int rows = prompts.size();
        int[] lengths = new int[rows];
        int width = 2; // at least one prediction per row
        for (int b = 0; b < rows; b++) {
            if (prompts.get(b).length == 0) {
                throw new IllegalArgumentException("prompt " + b + " is empty; start it with the BOS token");
            }
            lengths[b] = prompts.get(b).length + completions.get(b).length;
            width = Math.max(width, lengths[b]);
        }
        if (width > decoder.config().maxPositions()) {
            throw new IllegalArgumentException("a sequence of " + width + " tokens exceeds max_position_embeddings "
                    + decoder.config().maxPositions());
        }
        long padId = decoder.config().padTokenId() >= 0 ? decoder.config().padTokenId() : 0;
        long[] ids = new long[rows * width];
        long[] positions = new long[rows * width];
        float[] completionMask = new float[rows * (width - 1)];
        Arrays.fill(ids, padId); // padding slots hold any valid id: attention never reads them
        for (int b = 0; b < rows; b++) {
            int pad = width - lengths[b];
            int[] prompt = prompts.get(b);
            int[] completion = completions.get(b);
            for (int j = 0; j < lengths[b]; j++) {
                int token = j < prompt.length ? prompt[j] : completion[j - prompt.length];
                checkToken(decoder, b, token);
                ids[b * width + pad + j] = token;
                positions[b * width + pad + j] = j;
            }
            // Column j predicts token j + 1: the completion's tokens sit in the row's last slots.
            for (int k = 0; k < completion.length; k++) {
                completionMask[b * (width - 1) + width - completion.length - 1 + k] = 1f;
            }
        }
        ScalarType type = decoder.dtype() == DType.F64 ? ScalarType.Double : ScalarType.Float;
        Tensor tokens = TensorData.longs(ids, rows, width).to(decoder.device(), ScalarType.Long); // (B, W)
        Tensor hidden = decoder.forward(tokens, TensorData.longs(positions, rows, width).to(decoder.device(),
                ScalarType.Long), width - 1, mask(decoder, lengths, width), decoder.newCache(rows, width)); // (B, W, D)
        Tensor logits = decoder.logits(hidden.narrow(1, 0, width - 1)).to(type); // (B, W - 1, V)
        if (temperature != 1) {
            logits = logits.div(new Scalar(temperature));
        }
        Tensor targets = tokens.narrow(1, 1, width - 1).unsqueeze(-1); // (B, W - 1, 1)
        Tensor picked = torch.log_softmax(logits, -1).gather(-1, targets).squeeze(-1); // (B, W - 1)
        Tensor m = TensorData.floats(completionMask, rows, width - 1).to(decoder.device(), type);
        return new Batch(picked.mul(m), m, width);
    }

    /**
     * (B, 1, W, W): causal within each row, blind to its left padding. A padding query sees only itself, so that no
     * softmax row is fully masked (which would give NaN and leak into the gradients).
     */
    private static Tensor mask(Decoder decoder, int[] lengths, int width) {
        float[] mask = new float[lengths.length * width * width];
        for (int b = 0; b < lengths.length; b++) {
            int pad = width - lengths[b];
            for (int query = 0; query < width; query++) {
                for (int key = 0; key < width; key++) {
                    boolean visible = key == query || (key < query && query >= pad && key >= pad);
                    mask[(b * width + query) * width + key] = visible ? 0f : MASKED;
                }
            }
        }
        return TensorData.floats(mask, lengths.length, 1, width, width).to(decoder.device(),
                decoder.dtype().scalarType());
    }

    private static void checkToken(Decoder decoder, int row, int token) {
        if (token < 0 || token >= decoder.config().vocabSize()) {
            throw new IllegalArgumentException("row " + row + " holds token id " + token
                    + ", outside the vocabulary [0, " + decoder.config().vocabSize() + ")");
        }
    }
}
