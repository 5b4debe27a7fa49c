package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The preallocated decode step against the general forward it stands in for: the same bits at every step, for
 * q/k/v biases and grouped heads (Qwen2), a tied Llama, half precision, both attention forms, and batch sizes that
 * change between generations.
 */
class DecodeStepTest {

    private static final ModelConfig LLAMA = new ModelConfig(Architecture.LLAMA, 48, 96, 3, 6, 2, 8, 97, 64, 1e-5,
            RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);

    @TempDir
    static Path dir;

    @Test
    void qwen2WithBiasesGivesTheGeneralForwardsBits() throws IOException {
        TinyQwen2.write(dir, 7L);
        Decoder decoder = ModelLoader.load(dir, DeviceSpec.CPU, DType.F32);
        for (int batch : new int[] {1, 3, 8}) {
            assertSameBits(decoder, batch, true);
            assertSameBits(decoder, batch, false);
        }
    }

    @Test
    void tiedLlamaInBothPrecisionsGivesTheGeneralForwardsBits() {
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            Decoder decoder = ModelLoader.random(LLAMA, 11L, DeviceSpec.CPU, dtype);
            assertSameBits(decoder, 4, true);
            assertSameBits(decoder, 2, false);
            assertSameBits(decoder, 4, true); // back to a batch size seen before, with new buffers
        }
    }

    @Test
    void generationIsUnchangedAndCountsItsCalls() {
        Decoder decoder = ModelLoader.random(LLAMA, 3L, DeviceSpec.CPU, DType.F32);
        List<int[]> prompts = List.of(new int[] {1, 5, 9, 11}, new int[] {1, 40}, new int[] {1, 7, 7});
        Decoder generalPath = decoder.withPaths(new DecodePaths(false, true));
        List<Completion> general = new BatchGenerator(generalPath).generate(prompts, 12, Set.of(),
                SamplingConfig.GREEDY);
        assertEquals(0, generalPath.decodeStepCalls());
        List<Completion> fast = new BatchGenerator(decoder).generate(prompts, 12, Set.of(), SamplingConfig.GREEDY);
        for (int b = 0; b < prompts.size(); b++) {
            assertEquals(12, fast.get(b).tokens().length);
            assertArrayEquals(general.get(b).tokens(), fast.get(b).tokens(), "row " + b);
        }
        // 11 decode steps after the prefill, each a few dozen calls per layer
        long calls = decoder.decodeStepCalls();
        assertTrue(calls > 11 * LLAMA.numLayers() * 20L && calls < 11 * (LLAMA.numLayers() * 60L + 20), "" + calls);
    }

    /**
     * Prefills one random batch into two caches, then decodes 6 steps on each: one cache through the fast step,
     * the other through the general forward, and compares the hidden states exactly. Row 0 has a masked slot.
     */
    private static void assertSameBits(Decoder model, int batch, boolean broadcast) {
        int prompt = 5;
        int steps = 6;
        Random random = new Random(batch * 31L + (broadcast ? 1 : 0));
        int vocab = model.config().vocabSize();
        Decoder decoder = model.withPaths(new DecodePaths(true, broadcast));
        Decoder generalPath = model.withPaths(new DecodePaths(false, broadcast));
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            long[] ids = new long[batch * prompt];
            long[] positions = new long[batch * prompt];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(vocab);
                positions[i] = i % prompt;
            }
            int capacity = prompt + steps;
            float[] causal = new float[prompt * prompt];
            for (int i = 0; i < prompt; i++) {
                for (int j = i + 1; j < prompt; j++) {
                    causal[i * prompt + j] = Float.NEGATIVE_INFINITY;
                }
            }
            float[] keyMask = new float[batch * capacity];
            keyMask[1] = Float.NEGATIVE_INFINITY; // row 0 never sees slot 1 in decode steps
            Tensor mask = TensorData.floats(keyMask, batch, 1, 1, capacity).to(decoder.dtype().scalarType());
            KvCache fastCache = decoder.newCache(batch, capacity);
            KvCache generalCache = decoder.newCache(batch, capacity);
            for (KvCache cache : new KvCache[] {fastCache, generalCache}) {
                decoder.forward(TensorData.longs(ids, batch, prompt), TensorData.longs(positions, batch, prompt),
                        prompt - 1, TensorData.floats(causal, 1, 1, prompt, prompt)
                                .to(decoder.dtype().scalarType()), cache);
            }
            for (int s = 0; s < steps; s++) {
                long[] next = new long[batch];
                long[] at = new long[batch];
                for (int b = 0; b < batch; b++) {
                    next[b] = random.nextInt(vocab);
                    at[b] = prompt + s;
                }
                Tensor stepMask = mask.narrow(3, 0, prompt + s + 1);
                Tensor fast = decoder.forward(TensorData.longs(next, batch, 1), TensorData.longs(at, batch, 1),
                        prompt + s, stepMask, fastCache);
                Tensor general = generalPath.forward(TensorData.longs(next, batch, 1), TensorData.longs(at, batch, 1),
                        prompt + s, stepMask, generalCache);
                assertEquals(general.dim(), fast.dim());
                assertTrue(torch.equal(general, fast), decoder.dtype() + " batch " + batch + " broadcast "
                        + broadcast + " step " + s + ": max |diff| "
                        + general.sub(fast).abs().max().item_double());
                Tensor expected = decoder.logits(general).squeeze(1).to(ScalarType.Float);
                Tensor logits = torch.empty(new long[] {batch, vocab}, new TensorOptions(ScalarType.Float), null);
                decoder.logitsInto(logits, fast, WeightDelta.NONE);
                assertTrue(torch.equal(expected, logits), "logits at step " + s);
            }
        }
    }
}
