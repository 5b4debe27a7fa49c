package dev.esactors.core.model;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Argmax decoding: the highest logit wins (the lowest id on an exact tie, as in PyTorch). */
final class GreedySampler implements Sampler {

    @Override
    public Tensor next(Tensor logits) {
        return torch.argmax(logits, new LongOptional(-1), false);
    }
}
