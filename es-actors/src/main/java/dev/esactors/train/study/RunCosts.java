package dev.esactors.train.study;

import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.ParameterLayout;
import dev.esactors.core.torch.DType;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;

/**
 * What a study's run costs besides time, estimated from its configuration and its counts: the bytes of model state it
 * holds and the floating-point operations it spends on the model, so that ES and GRPO can be compared per FLOP and
 * per byte as well as per completion.
 */
final class RunCosts {

    private RunCosts() {
    }

    /**
     * The bytes of model state a run holds: ES the fp32 master and the working copy (plus Adam's two moments with
     * es.update = adam); GRPO the fp32 weights, their gradients and AdamW's two moments (plus the fp32 reference
     * model when grpo.kl-beta > 0). Activations and KV caches come on top for both.
     */
    static long stateBytes(RunConfig config) {
        long parameters = parameters(config);
        if (config.method() == RunConfig.Method.GRPO) {
            return parameters * 4 * (config.grpo().klBeta() > 0 ? 5 : 4);
        }
        int working = DType.parseWorking(config.model().dtype()).bytes();
        return parameters * (4 + working + (config.es().update() instanceof UpdateRule.Adam ? 8 : 0));
    }

    /** The parameters of {@code config}'s model, from its config.json. */
    static long parameters(RunConfig config) {
        long parameters = 0;
        for (ParameterLayout.Spec spec : ParameterLayout.of(ConfigJson.read(BaseModel.dir(config)))) {
            long n = 1;
            for (long d : spec.shape()) {
                n *= d;
            }
            parameters += n;
        }
        return parameters;
    }

    /**
     * An estimate of the floating-point operations a run of {@code config} spent on its model: 2 per parameter per
     * token through a forward pass, 4 more through a backward one (attention's own products, a few percent at these
     * context lengths, left out). ES: every row's prompt and generated tokens, forward. GRPO: the same for sampling,
     * then per pass a forward and backward over every row's prompt and completion, and a forward of the old policy
     * (several passes) and of the reference model (a KL term) over them. NaN when the counts are unknown.
     */
    static double flops(RunConfig config, double promptTokens, double generated, double trained) {
        double p = parameters(config);
        double sampling = 2 * p * (promptTokens + generated);
        if (config.method() != RunConfig.Method.GRPO) {
            return sampling;
        }
        int passes = config.grpo().passes();
        double perPass = promptTokens + trained / passes; // every row's prompt and completion, once
        double training = 6 * p * perPass * passes;
        double extraForwards = (passes > 1 ? 1 : 0) + (config.grpo().klBeta() > 0 ? 1 : 0);
        return sampling + training + 2 * p * perPass * extraForwards;
    }
}
