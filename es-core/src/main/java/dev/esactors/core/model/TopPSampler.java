package dev.esactors.core.model;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Temperature and nucleus (top-p) sampling from LibTorch's CPU generator. Sampling runs on the CPU whatever the
 * model's device, so a seed gives the same tokens on CPU and GPU replicas.
 */
final class TopPSampler implements Sampler {

    private final double temperature;
    private final double topP;
    private final Generator generator;

    TopPSampler(SamplingConfig config) {
        this.temperature = config.temperature();
        this.topP = config.topP();
        this.generator = torch.createCPUGenerator(config.seed());
    }

    @Override
    public Tensor next(Tensor logits) {
        Tensor probs = torch.softmax(logits.div(new Scalar(temperature)), -1); // (B, V)
        if (topP >= 1) {
            // The whole distribution: no ranking needed. Sorting every row of the vocabulary cost three times the
            // draw itself (70 of 95 ms a step at 64 x 8,192) and was most of a GRPO step's lag behind PyTorch's.
            return torch.multinomial(probs, 1, false, new GeneratorOptional(generator)).squeeze(-1);
        }
        T_TensorTensor_T sorted = torch.sort(probs, -1, true);
        Tensor sortedProbs = sorted.get0();
        // Drop a token when the tokens ranked above it already reach top_p; the first always stays.
        Tensor before = torch.cumsum(sortedProbs, -1).sub(sortedProbs);
        sortedProbs = sortedProbs.masked_fill(before.gt(new Scalar(topP)), new Scalar(0.0));
        Tensor rank = torch.multinomial(sortedProbs, 1, false, new GeneratorOptional(generator)); // (B, 1)
        return torch.gather(sorted.get1(), -1, rank).squeeze(-1);
    }
}
