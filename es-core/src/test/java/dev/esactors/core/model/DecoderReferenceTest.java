package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LibTorch decoder against an independent naive reference, and cached decoding against recomputation. */
class DecoderReferenceTest {

    private static final double TOLERANCE = 1e-4;
    private static final int[] SEQUENCE = {1, 17, 42, 5, 60, 33, 8, 8, 23, 0, 51, 14, 29, 3};

    @TempDir
    static Path dir;
    private static TinyQwen2 tiny;
    private static Decoder decoder;

    @BeforeAll
    static void build() throws IOException {
        tiny = TinyQwen2.write(dir, 20261129L);
        decoder = ModelLoader.load(dir, DeviceSpec.CPU, DType.F32);
    }

    @Test
    void configParsesAsQwen2WithBiasGqaAndUntiedHead() {
        ModelConfig c = decoder.config();
        assertEquals(Architecture.QWEN2, c.architecture());
        assertTrue(c.qkvBias());
        assertEquals(2, c.groupSize());
        assertEquals(8, c.headDim());
        assertEquals(1e6, c.rope().theta());
        assertTrue(decoder.parameters().containsKey("lm_head.weight"));
        assertTrue(decoder.parameters().containsKey("model.layers.1.self_attn.k_proj.bias"));
    }

    @Test
    void logitsMatchTheNaiveJavaReference() {
        double[][] expected = new ReferenceForward(tiny.config, tiny.weights).logits(SEQUENCE);
        float[] actual = TensorData.toFloats(decoder.sequenceLogits(SEQUENCE));
        int v = tiny.config.vocabSize();
        double worst = 0;
        double spread = 0;
        for (int p = 0; p < SEQUENCE.length; p++) {
            for (int i = 0; i < v; i++) {
                worst = Math.max(worst, Math.abs(expected[p][i] - actual[p * v + i]));
                spread = Math.max(spread, Math.abs(expected[p][i]));
            }
        }
        assertTrue(spread > 0.5, "logits are not trivially small: " + spread);
        assertTrue(worst < TOLERANCE, "max |logit difference| " + worst);
    }

    @Test
    void cachedDecodingEqualsFullRecomputation() {
        float[] full = TensorData.toFloats(decoder.sequenceLogits(SEQUENCE));
        float[] stepwise = cachedLogits();
        double worst = 0;
        for (int i = 0; i < full.length; i++) {
            worst = Math.max(worst, Math.abs(full[i] - stepwise[i]));
        }
        assertTrue(worst < TOLERANCE, "max |cached - recomputed| " + worst);
    }

    @Test
    void broadcastDecodeAttentionAgreesWithTheFusedKernel() {
        // Grouped heads (2 per key/value head) and, in the batch, padding masked out with -inf.
        List<int[]> prompts = List.of(new int[] {1, 9, 27, 4, 4}, new int[] {1, 44}, new int[] {1, 3, 60});
        BatchGenerator generator = new BatchGenerator(decoder);
        float[] broadcast = cachedLogits();
        List<Completion> broadcastTokens = generator.generate(prompts, 16, Set.of(), SamplingConfig.GREEDY);
        Decoder batched = decoder.withPaths(new DecodePaths(true, false));
        float[] fused = cachedLogits(batched);
        List<Completion> fusedTokens = new BatchGenerator(batched).generate(prompts, 16, Set.of(),
                SamplingConfig.GREEDY);
        double worst = 0;
        for (int i = 0; i < fused.length; i++) {
            worst = Math.max(worst, Math.abs(fused[i] - broadcast[i]));
        }
        assertTrue(worst < 1e-5, "max |broadcast - sdpa| " + worst);
        for (int b = 0; b < prompts.size(); b++) {
            assertEquals(16, broadcastTokens.get(b).tokens().length);
            assertArrayEquals(fusedTokens.get(b).tokens(), broadcastTokens.get(b).tokens(), "row " + b);
        }
    }

    /** Logits at every position of SEQUENCE: a 4-token prefill, then one cached decode step per position. */
    private static float[] cachedLogits() {
        return cachedLogits(decoder);
    }

    /** {@link #cachedLogits()} decoded by {@code model}. */
    private static float[] cachedLogits(Decoder model) {
        int prompt = 4;
        KvCache cache = model.newCache(1, SEQUENCE.length);
        float[] stepwise = new float[SEQUENCE.length * tiny.config.vocabSize()];
        Tensor prefill = model.logits(model.forward(
                TensorData.longs(Arrays.stream(SEQUENCE, 0, prompt).asLongStream().toArray(), 1, prompt),
                TensorData.longs(new long[] {0, 1, 2, 3}, 1, prompt), prompt - 1,
                TensorData.floats(causal(prompt), 1, 1, prompt, prompt), cache));
        float[] first = TensorData.toFloats(prefill);
        System.arraycopy(first, 0, stepwise, 0, first.length);
        for (int p = prompt; p < SEQUENCE.length; p++) {
            float[] step = TensorData.toFloats(model.logits(model.forward(
                    TensorData.longs(new long[] {SEQUENCE[p]}, 1, 1), TensorData.longs(new long[] {p}, 1, 1), p,
                    TensorData.floats(new float[p + 1], 1, 1, 1, p + 1), cache)));
            System.arraycopy(step, 0, stepwise, p * step.length, step.length);
        }
        return stepwise;
    }

    @Test
    void generatedTokensAreTheArgmaxOfRecomputedLogits() {
        int[] prompt = {1, 9, 27};
        Completion c = new BatchGenerator(decoder).generate(List.of(prompt), 20, Set.of(), SamplingConfig.GREEDY).get(0);
        assertEquals(20, c.tokens().length);
        int[] all = new int[prompt.length + c.tokens().length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(c.tokens(), 0, all, prompt.length, c.tokens().length);
        float[] logits = TensorData.toFloats(decoder.sequenceLogits(all));
        int v = tiny.config.vocabSize();
        int[] argmax = new int[c.tokens().length];
        for (int i = 0; i < argmax.length; i++) {
            int row = prompt.length - 1 + i;
            int best = 0;
            for (int j = 1; j < v; j++) {
                if (logits[row * v + j] > logits[row * v + best]) {
                    best = j;
                }
            }
            argmax[i] = best;
        }
        assertArrayEquals(argmax, c.tokens());
    }

    @Test
    void generationStopsAtEachSequencesEos() {
        // Use the first greedy token of a prompt as its "EOS": that sequence stops at once, the other runs on.
        int[] a = {1, 9, 27};
        int[] b = {1, 44};
        BatchGenerator generator = new BatchGenerator(decoder);
        int firstOfA = generator.generate(List.of(a), 1, Set.of(), SamplingConfig.GREEDY).get(0).tokens()[0];
        List<Completion> out = generator.generate(List.of(a, b), 12, Set.of(firstOfA), SamplingConfig.GREEDY);
        assertTrue(out.get(0).stoppedAtEos());
        assertEquals(0, out.get(0).tokens().length);
        Completion alone = generator.generate(List.of(b), 12, Set.of(firstOfA), SamplingConfig.GREEDY).get(0);
        assertArrayEquals(alone.tokens(), out.get(1).tokens());
    }

    private static float[] causal(int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return mask;
    }
}
