package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankPass;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Low-rank (EGGROLL) perturbations on stories260K: a batched pass over several members computes what each member's
 * perturbation written into the weights computes, leaves the weights alone, and the update adds exactly the
 * factored noise.
 */
class LowRankTest {

    private static final int[] PROMPT = {1, 403, 261, 378, 407, 297, 260, 312};

    private static EsConfig config(int population, int rank) {
        return EsConfig.paper(3).withPopulation(population, 0.05, 0.01)
                .withPerturbation(new Perturbation.LowRank(rank, population));
    }

    private static EsModel model(EsConfig config) {
        Decoder fp32 = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        return EsModel.create(config, fp32, DType.F32);
    }

    @Test
    void aBatchedPassDecodesWhatEachMemberWrittenIntoTheWeightsDecodes() {
        EsConfig config = config(4, 2).withShaping(FitnessShaping.ZSCORE, true);
        EsModel m = model(config);
        List<Member> members = config.schedule().members(0, 4, true);
        // Two prompts that share PROMPT as a prefix: a pass runs it once per member (the rows of a member share it).
        int[] longer = {1, 403, 261, 378, 407, 297, 260, 312, 403, 261, 378};
        List<int[]> prompts = List.of(longer, Arrays.copyOf(longer, 9));
        BatchGenerator generator = new BatchGenerator(m.decoder());

        List<Completion> alone = new ArrayList<>();
        List<float[]> aloneLogits = new ArrayList<>();
        for (Member member : members) {
            m.replica().perturb(member);
            for (int[] prompt : prompts) {
                alone.addAll(generator.generate(List.of(prompt), 24, Set.of(), SamplingConfig.GREEDY));
            }
            aloneLogits.add(TensorData.toFloats(m.decoder().sequenceLogits(PROMPT)));
            m.replica().restore();
        }
        String weights = m.replica().workingHash();

        List<int[]> rows = new ArrayList<>();
        members.forEach(member -> rows.addAll(prompts));
        assertEquals(PROMPT.length, BatchGenerator.sharedPrefix(rows, members.size()), "the pass shares PROMPT");
        List<Completion> together;
        try (LowRankPass pass = m.replica().lowRankPass(members)) {
            together = generator.generate(rows, 24, Set.of(), SamplingConfig.GREEDY, pass);
            assertThrows(IllegalArgumentException.class, () -> m.decoder().sequenceLogits(PROMPT, pass),
                    "one row cannot be shared by four members");
        }
        assertEquals(weights, m.replica().workingHash(), "a batched pass never changes the weights");
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(alone.get(i).tokens(), together.get(i).tokens(), "row " + i + " (member " + i / 2 + ")");
        }
        assertNotEquals(Arrays.toString(alone.get(0).tokens()) + Arrays.toString(alone.get(1).tokens()),
                Arrays.toString(alone.get(2).tokens()) + Arrays.toString(alone.get(3).tokens()),
                "mirrored members decode differently: the noise matters at this sigma");
        assertTrue(maxDifference(aloneLogits.get(0), aloneLogits.get(1)) > 0.05, "members differ in their logits");
    }

    @Test
    void theLogitsOfABatchedPassAgreeWithTheWrittenOutPerturbation() {
        EsConfig config = config(3, 4);
        EsModel m = model(config);
        List<Member> members = config.schedule().members(5, 3, false);
        Decoder decoder = m.decoder();
        for (int k = 0; k < members.size(); k++) {
            m.replica().perturb(members.get(k));
            float[] expected = TensorData.toFloats(decoder.sequenceLogits(PROMPT));
            m.replica().restore();
            // The same member alone in a pass of one: the factored forward, y = x W^T + sigma (x B) A^T / sqrt(r).
            try (LowRankPass pass = m.replica().lowRankPass(List.of(members.get(k)))) {
                float[] factored = TensorData.toFloats(decoder.sequenceLogits(PROMPT, pass));
                assertTrue(maxDifference(expected, factored) < 1e-3, "member " + k + ": logits differ by "
                        + maxDifference(expected, factored));
            }
        }
    }

    @Test
    void theUpdateAddsTheCoefficientWeightedFactoredNoiseToTheMaster() {
        EsConfig config = config(3, 2);
        EsModel m = model(config);
        List<Member> members = config.schedule().members(0, 3, false);
        String matrix = "model.layers.1.self_attn.v_proj.weight";
        String vector = "model.layers.1.input_layernorm.weight";
        double[] coefficients = {1.2, -0.4, -0.8};
        int[] signs = {1, 1, 1};
        float[] matrix0 = TensorData.toFloats(m.replica().master().get(matrix));
        float[] vector0 = TensorData.toFloats(m.replica().master().get(vector));
        double[] expectedMatrix = toDoubles(matrix0);
        double[] expectedVector = toDoubles(vector0);
        double alpha = config.alpha();
        for (int k = 0; k < 3; k++) {
            m.replica().perturb(members.get(k)); // writes master + sigma x eps_k: read eps_k back
            float[] pm = TensorData.toFloats(m.decoder().parameters().get(matrix));
            float[] pv = TensorData.toFloats(m.decoder().parameters().get(vector));
            m.replica().restore();
            for (int i = 0; i < pm.length; i++) {
                expectedMatrix[i] += alpha / 3 * coefficients[k] * (pm[i] - matrix0[i]) / config.sigma();
            }
            for (int i = 0; i < pv.length; i++) {
                expectedVector[i] += alpha / 3 * coefficients[k] * (pv[i] - vector0[i]) / config.sigma();
            }
        }
        Update update = new Update(0, members.stream().mapToLong(Member::seed).toArray(), signs, coefficients,
                new double[] {1, 0, 0}, alpha, config.sigma());
        m.replica().apply(update);
        assertTrue(maxDifference(expectedMatrix, TensorData.toFloats(m.replica().master().get(matrix))) < 1e-6);
        assertTrue(maxDifference(expectedVector, TensorData.toFloats(m.replica().master().get(vector))) < 1e-6);
        assertTrue(maxDifference(toDoubles(matrix0), TensorData.toFloats(m.replica().master().get(matrix))) > 1e-4,
                "the update moved the matrix");

        EsModel other = model(config);
        other.replica().apply(update);
        assertEquals(m.replica().masterHash(), other.replica().masterHash(), "the same update gives the same bits");
        assertNotEquals(model(config.withPerturbation(Perturbation.FULL)).replica().masterHash(),
                m.replica().masterHash());
    }

    @Test
    void aFullRankReplicaRefusesBatchedPasses() {
        EsConfig config = EsConfig.paper(3);
        EsModel m = model(config);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> m.replica().lowRankPass(config.schedule().members(0, 2, false)));
        assertTrue(e.getMessage().contains("low-rank"), e.getMessage());
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static double maxDifference(double[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static double maxDifference(float[] a, float[] b) {
        return maxDifference(toDoubles(a), b);
    }
}
