package dev.esactors.train.eval;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forgetting monitors on stories260K: KL to the base model and relative weight drift per tensor group. */
class ForgettingMonitorsTest {

    private static final Path BASE = EmbeddedModel.directory();
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 403, 407}, new int[] {1, 365, 372, 385},
            new int[] {1, 320}, new int[] {1, 403, 260, 411, 270});

    @Test
    void klOfAModelToItselfIsZeroAndGrowsWithThePerturbation() {
        Decoder base = ModelLoader.load(BASE, DeviceSpec.CPU, DType.F32);
        BaseDivergence divergence = new BaseDivergence(base, PROMPTS, 12);
        assertTrue(divergence.tokens() >= 4, "the base model completed the prompts: " + divergence.tokens());
        assertEquals(0.0, divergence.meanKl(base), "the base model against itself");
        assertEquals(0.0, divergence.meanKl(ModelLoader.load(BASE, DeviceSpec.CPU, DType.F32)), "a second load of it");
        double previous = 0;
        for (double sigma : new double[] {0.001, 0.01, 0.05}) {
            EsConfig config = EsConfig.paper(4).withPopulation(2, sigma, 1e-3);
            EsModel model = EsModel.create(config, ModelLoader.load(BASE, DeviceSpec.CPU, DType.F32), DType.F32);
            Member member = config.schedule().members(0, 2, false).get(0);
            model.replica().perturb(member);
            double kl = divergence.meanKl(model.decoder());
            assertTrue(kl > previous, "sigma " + sigma + ": KL " + kl + " above the smaller perturbation's "
                    + previous);
            previous = kl;
            model.replica().restore();
            assertEquals(0.0, divergence.meanKl(model.decoder()), "restored: back to the base model");
        }
        // prompts that leave no room for an answer give no completion to compare on: no KL, and no failure
        BaseDivergence none = new BaseDivergence(base, List.of(new int[base.config().maxPositions()]), 12);
        assertEquals(0, none.tokens());
        assertTrue(Double.isNaN(none.meanKl(base)));
    }

    @Test
    void driftIsZeroAtTheBaseAndMeasuredPerGroup() {
        Decoder model = ModelLoader.load(BASE, DeviceSpec.CPU, DType.F32);
        Map<String, Tensor> weights = model.parameters();
        Map<WeightDrift.Group, Double> none = WeightDrift.measure(BASE, weights);
        assertEquals(List.of(WeightDrift.Group.EMBEDDINGS, WeightDrift.Group.ATTENTION, WeightDrift.Group.MLP,
                WeightDrift.Group.NORMS), List.copyOf(none.keySet()));
        none.values().forEach(v -> assertEquals(0.0, v));
        // every MLP weight 2% larger: the MLP group drifts by exactly 2%, nothing else moves
        weights.forEach((name, w) -> {
            if (WeightDrift.Group.of(name) == WeightDrift.Group.MLP) {
                w.mul_(new Scalar(1.02));
            }
        });
        Map<WeightDrift.Group, Double> drift = WeightDrift.measure(BASE, weights);
        assertEquals(0.02, drift.get(WeightDrift.Group.MLP), 1e-6);
        assertEquals(0.0, drift.get(WeightDrift.Group.ATTENTION));
        assertEquals(0.0, drift.get(WeightDrift.Group.EMBEDDINGS));
        assertEquals(0.0, drift.get(WeightDrift.Group.NORMS));
        assertEquals(WeightDrift.Group.ATTENTION, WeightDrift.Group.of("model.layers.3.self_attn.q_proj.bias"));
        assertEquals(WeightDrift.Group.NORMS, WeightDrift.Group.of("model.layers.3.input_layernorm.weight"));
        assertEquals(WeightDrift.Group.EMBEDDINGS, WeightDrift.Group.of("lm_head.weight"));
    }
}
