package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training forward pass against the inference decoder (a padded batch on a tiny Qwen2: GQA, q/k/v biases, an
 * untied head), and its autograd gradients against finite differences in float64.
 */
class TokenLogProbsTest {

    @TempDir
    static Path dir;
    private static TinyQwen2 tiny;

    private static final List<int[]> PROMPTS = List.of(new int[] {1, 9, 27, 4, 13}, new int[] {1, 30},
            new int[] {1, 5, 5, 8});
    private static final List<int[]> COMPLETIONS = List.of(new int[] {7, 22, 2}, new int[] {44, 3, 3, 19, 50, 6},
            new int[] {});

    @BeforeAll
    static void model() throws IOException {
        tiny = TinyQwen2.write(dir, 17);
    }

    @Test
    void logProbsEqualTheLogSoftmaxOfTheInferenceDecodersLogits() {
        Decoder decoder = ModelLoader.load(tiny.dir, DeviceSpec.CPU, DType.F32);
        TokenLogProbs.Batch batch = TokenLogProbs.of(decoder, PROMPTS, COMPLETIONS);
        int width = batch.width();
        assertEquals(8, width, "the longest row sets the width");
        float[] got = TensorData.toFloats(batch.logProbs());
        float[] mask = TensorData.toFloats(batch.mask());
        int v = tiny.config.vocabSize();
        double worst = 0;
        for (int b = 0; b < PROMPTS.size(); b++) {
            int[] prompt = PROMPTS.get(b);
            int[] completion = COMPLETIONS.get(b);
            int[] all = concat(prompt, completion);
            // The reference: the decoder's own logits for this row alone, then log-softmax in float64.
            float[] logits = TensorData.toFloats(decoder.sequenceLogits(all)); // (T, V)
            int pad = width - all.length;
            int maskSum = 0;
            for (int j = 0; j < width - 1; j++) {
                maskSum += (int) mask[b * (width - 1) + j];
            }
            assertEquals(completion.length, maskSum, "row " + b + ": one mask entry per completion token");
            for (int k = 0; k < completion.length; k++) {
                int p = prompt.length + k; // the token's position in the row
                double expected = logSoftmax(logits, (p - 1) * v, v, completion[k]);
                int column = pad + p - 1;
                assertEquals(1f, mask[b * (width - 1) + column], "row " + b + " token " + k);
                worst = Math.max(worst, Math.abs(got[b * (width - 1) + column] - expected));
            }
        }
        assertTrue(worst < 1e-5, "max |training pass - inference log-softmax| = " + worst);
    }

    @Test
    void atATemperatureTheTrainingPassIsTheSamplersDistribution() {
        // GRPO samples at grpo.temperature and must take its gradient through the same distribution, softmax(logits
        // / T) as TopPSampler computes it (top-p 1 here): before the fix the pass used the logits at T = 1.
        Decoder decoder = ModelLoader.load(tiny.dir, DeviceSpec.CPU, DType.F32);
        double t = 0.7;
        List<Completion> sampled = new BatchGenerator(decoder).generate(PROMPTS, 6, Set.of(),
                new SamplingConfig(t, 1, 42));
        List<int[]> completions = sampled.stream().map(Completion::tokens).toList();
        TokenLogProbs.Batch tempered = TokenLogProbs.of(decoder, PROMPTS, completions, t);
        TokenLogProbs.Batch plain = TokenLogProbs.of(decoder, PROMPTS, completions, 1);
        float[] got = TensorData.toFloats(tempered.logProbs());
        float[] atOne = TensorData.toFloats(plain.logProbs());
        int width = tempered.width();
        int v = tiny.config.vocabSize();
        double worst = 0;
        double untempered = 0;
        int tokens = 0;
        for (int b = 0; b < PROMPTS.size(); b++) {
            int[] all = concat(PROMPTS.get(b), completions.get(b));
            float[] logits = TensorData.toFloats(decoder.sequenceLogits(all));
            float[] scaled = new float[logits.length];
            for (int i = 0; i < logits.length; i++) {
                scaled[i] = (float) (logits[i] / t);
            }
            int pad = width - all.length;
            for (int k = 0; k < completions.get(b).length; k++) {
                int p = PROMPTS.get(b).length + k;
                double expected = logSoftmax(scaled, (p - 1) * v, v, completions.get(b)[k]);
                int column = b * (width - 1) + pad + p - 1;
                worst = Math.max(worst, Math.abs(got[column] - expected));
                untempered = Math.max(untempered, Math.abs(atOne[column] - expected));
                tokens++;
            }
        }
        assertEquals(18, tokens, "every row sampled its 6 tokens");
        assertTrue(worst < 1e-5, "max |training pass at T - sampler's log-prob| = " + worst);
        assertTrue(untempered > 0.05, "the pass at T = 1 is another distribution (max gap " + untempered + ")");
        assertThrows(IllegalArgumentException.class, () -> TokenLogProbs.of(decoder, PROMPTS, completions, 0));
    }

    @Test
    void greedyCompletionsAreTheMostLikelyTokensOfTheTrainingPass() {
        Decoder decoder = ModelLoader.load(tiny.dir, DeviceSpec.CPU, DType.F32);
        List<Completion> greedy = new BatchGenerator(decoder).generate(PROMPTS, 6, Set.of(), SamplingConfig.GREEDY);
        List<int[]> completions = greedy.stream().map(Completion::tokens).toList();
        TokenLogProbs.Batch batch = TokenLogProbs.of(decoder, PROMPTS, completions);
        int width = batch.width();
        // Each greedy token (decoded with the KV cache) is the most likely one at its position: its log-prob is the max.
        float[] got = TensorData.toFloats(batch.logProbs());
        for (int b = 0; b < PROMPTS.size(); b++) {
            int[] all = concat(PROMPTS.get(b), completions.get(b));
            float[] logits = TensorData.toFloats(decoder.sequenceLogits(all));
            int v = tiny.config.vocabSize();
            int pad = width - all.length;
            for (int k = 0; k < completions.get(b).length; k++) {
                int p = PROMPTS.get(b).length + k;
                double best = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < v; t++) {
                    best = Math.max(best, logSoftmax(logits, (p - 1) * v, v, t));
                }
                assertEquals(best, got[b * (width - 1) + pad + p - 1], 1e-5, "row " + b + " token " + k);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesInFloat64() {
        // The model's weights cast to float64 (the loader keeps to the working dtypes runs use).
        Map<String, Tensor> doubles = new java.util.LinkedHashMap<>();
        ModelLoader.load(tiny.dir, DeviceSpec.CPU, DType.F32).parameters()
                .forEach((name, t) -> doubles.put(name, t.to(torch.ScalarType.Double).requires_grad_(true)));
        Decoder decoder = new Decoder(tiny.config, doubles);
        // A loss that weighs every completion token differently, as a policy-gradient loss does.
        double[] weights = {0.7, -1.3, 0.4, 2.1, -0.2, 0.9, -0.6, 1.5, 0.3, -1.1};
        Tensor loss = loss(decoder, weights);
        loss.backward();
        Map<String, Tensor> params = decoder.parameters();
        String[] probed = {ParameterLayout.EMBED, ParameterLayout.layer(0, "self_attn.q_proj.weight"),
                ParameterLayout.layer(0, "self_attn.k_proj.bias"), ParameterLayout.layer(1, "self_attn.v_proj.weight"),
                ParameterLayout.layer(1, "self_attn.o_proj.weight"), ParameterLayout.layer(0, "mlp.gate_proj.weight"),
                ParameterLayout.layer(1, "mlp.down_proj.weight"), ParameterLayout.layer(1, "input_layernorm.weight"),
                ParameterLayout.FINAL_NORM, ParameterLayout.LM_HEAD};
        double eps = 1e-6;
        int checked = 0;
        int moving = 0;
        double worst = 0;
        for (String name : probed) {
            Tensor p = params.get(name);
            Tensor flat = p.detach().view(-1);
            Tensor grad = p.grad().detach().view(-1);
            long n = flat.size(0);
            for (long i : new long[] {0, n / 3, n - 1}) {
                double analytic = grad.get(i).item_double();
                Tensor entry = flat.narrow(0, i, 1);
                entry.add_(new Scalar(eps));
                double plus = lossValue(decoder, weights);
                entry.sub_(new Scalar(2 * eps));
                double minus = lossValue(decoder, weights);
                entry.add_(new Scalar(eps));
                double numeric = (plus - minus) / (2 * eps);
                double error = Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(analytic) + Math.abs(numeric));
                worst = Math.max(worst, error);
                assertTrue(error < 1e-5, name + "[" + i + "]: autograd " + analytic + ", finite difference " + numeric);
                checked++;
                moving += Math.abs(analytic) > 1e-4 ? 1 : 0;
            }
        }
        assertEquals(30, checked);
        assertTrue(moving >= 20, "most probed entries have a gradient to check: " + moving + " of 30");
        assertTrue(worst < 1e-5, "worst relative error " + worst);
    }

    @Test
    void tokensOutsideTheVocabularyAreRefusedByRow() {
        Decoder decoder = ModelLoader.load(tiny.dir, DeviceSpec.CPU, DType.F32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenLogProbs.of(decoder,
                List.of(new int[] {1}, new int[] {1}), List.of(new int[] {3}, new int[] {61})));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("61"), e.getMessage());
    }

    private static Tensor loss(Decoder decoder, double[] weights) {
        TokenLogProbs.Batch batch = TokenLogProbs.of(decoder, PROMPTS, COMPLETIONS);
        long columns = batch.width() - 1L;
        double[] w = new double[(int) (PROMPTS.size() * columns)];
        for (int i = 0; i < w.length; i++) {
            w[i] = weights[i % weights.length];
        }
        Tensor coefficients = TensorData.floats(toFloats(w), PROMPTS.size(), columns).to(torch.ScalarType.Double);
        return batch.logProbs().mul(coefficients).sum();
    }

    private static double lossValue(Decoder decoder, double[] weights) {
        try (var noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
            return loss(decoder, weights).item_double();
        }
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    private static double logSoftmax(float[] logits, int offset, int v, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < v; t++) {
            max = Math.max(max, logits[offset + t]);
        }
        double sum = 0;
        for (int t = 0; t < v; t++) {
            sum += Math.exp(logits[offset + t] - max);
        }
        return logits[offset + token] - max - Math.log(sum);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
