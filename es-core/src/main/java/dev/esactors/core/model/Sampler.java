package dev.esactors.core.model;

import org.bytedeco.pytorch.Tensor;

/** Picks the next token of every sequence from its logits. */
@FunctionalInterface
public interface Sampler {

    /** Next token ids (B) of int64 on the CPU, from float32 CPU logits (B, V). */
    Tensor next(Tensor logits);

    /** The sampler a {@link SamplingConfig} describes; a new one starts its random stream from the seed. */
    static Sampler of(SamplingConfig config) {
        return config.greedy() ? new GreedySampler() : new TopPSampler(config);
    }
}
