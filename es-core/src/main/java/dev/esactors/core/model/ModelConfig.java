package dev.esactors.core.model;

import java.util.List;

/**
 * The shape of a Llama- or Qwen2-family decoder, as a Hugging Face {@code config.json} gives it.
 * Qwen2 is Llama with biases on the q/k/v projections: a flag here, not a separate model.
 *
 * @param architecture      llama or qwen2
 * @param hiddenSize        model width D
 * @param intermediateSize  SwiGLU hidden width
 * @param numLayers         decoder layers
 * @param numHeads          query heads
 * @param numKvHeads        key/value heads (GQA when fewer than query heads)
 * @param headDim           width of one head
 * @param vocabSize         vocabulary size V
 * @param maxPositions      max_position_embeddings
 * @param rmsNormEps        RMSNorm epsilon
 * @param rope              rotary embedding parameters
 * @param tieWordEmbeddings the output projection reuses the input embedding
 * @param qkvBias           q/k/v projections carry biases (always for qwen2; llama's attention_bias)
 * @param outputBias        the attention output projection carries a bias (llama's attention_bias)
 * @param mlpBias           the MLP projections carry biases (llama's mlp_bias)
 * @param bosTokenId        beginning-of-sequence id, -1 when the config names none
 * @param eosTokenIds       end-of-sequence ids (may be empty)
 * @param padTokenId        padding id, -1 when the config names none
 * @param initializerRange  standard deviation for random initialisation
 */
public record ModelConfig(
        Architecture architecture,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositions,
        double rmsNormEps,
        RopeConfig rope,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int padTokenId,
        double initializerRange) {

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("vocab_size", vocabSize);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + headDim);
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        for (int id : eosTokenIds) {
            tokenId("eos_token_id", id, vocabSize);
        }
        if (bosTokenId != -1) {
            tokenId("bos_token_id", bosTokenId, vocabSize);
        }
        if (padTokenId != -1) {
            tokenId("pad_token_id", padTokenId, vocabSize);
        }
    }

    /** The number of query heads that share one key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** The number of weights a model of this shape has (tied embeddings counted once). */
    public long parameterCount() {
        long d = hiddenSize;
        long q = (long) numHeads * headDim;
        long kv = (long) numKvHeads * headDim;
        long attention = d * q + 2 * d * kv + q * d + (qkvBias ? q + 2 * kv : 0) + (outputBias ? d : 0);
        long mlp = 3 * d * intermediateSize + (mlpBias ? 2L * intermediateSize + d : 0);
        long perLayer = attention + mlp + 2 * d;
        long embeddings = (long) vocabSize * d * (tieWordEmbeddings ? 1 : 2);
        return embeddings + numLayers * perLayer + d;
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be > 0, got " + value);
        }
    }

    private static void tokenId(String key, int id, int vocabSize) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException(key + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }
}
