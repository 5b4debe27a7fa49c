package dev.esactors.core.model;

import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Batched generation with a KV cache. Prompts of different lengths are left-padded into one batch: each
 * sequence's positions start at 0 on its first real token and attention never sees its padding, so a
 * sequence decodes to the same tokens alone or in any batch. Each sequence stops at its own end-of-sequence
 * token or after {@code maxNewTokens}.
 */
public final class BatchGenerator {

    private static final float MASKED = Float.NEGATIVE_INFINITY;

    private final Decoder decoder;

    public BatchGenerator(Decoder decoder) {
        this.decoder = decoder;
    }

    /** Generates up to {@code maxNewTokens} tokens after each prompt (each at least one token long). */
    public List<Completion> generate(List<int[]> prompts, int maxNewTokens, Set<Integer> eosIds,
                                     SamplingConfig sampling) {
        if (prompts.isEmpty()) {
            return List.of();
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        ModelConfig config = decoder.config();
        int batch = prompts.size();
        int promptWidth = 0;
        for (int i = 0; i < batch; i++) {
            int[] p = prompts.get(i);
            if (p.length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty; start it with the BOS token");
            }
            for (int id : p) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("prompt " + i + " holds token id " + id
                            + ", outside the vocabulary [0, " + config.vocabSize() + ")");
                }
            }
            promptWidth = Math.max(promptWidth, p.length);
        }
        int capacity = promptWidth + Math.max(maxNewTokens, 1);
        if (capacity > config.maxPositions()) {
            throw new IllegalArgumentException("prompt (" + promptWidth + ") + max new tokens (" + maxNewTokens
                    + ") exceeds max_position_embeddings " + config.maxPositions());
        }
        int[] pad = new int[batch];
        for (int b = 0; b < batch; b++) {
            pad[b] = promptWidth - prompts.get(b).length;
        }
        List<List<Integer>> generated = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            generated.add(new ArrayList<>());
        }
        boolean[] finished = new boolean[batch];
        Sampler sampler = Sampler.of(sampling);
        Device cpu = new Device(torch.DeviceType.CPU);
        try (PointerScope generation = new PointerScope()) {
            KvCache cache = decoder.newCache(batch, capacity);
            Tensor keyMask = keyMask(pad, capacity); // (B, 1, 1, capacity)
            Tensor logits = torch.empty(new long[] {batch, config.vocabSize()}, new TensorOptions(ScalarType.Float), null);
            try (PointerScope prefill = new PointerScope()) {
                Tensor hidden = decoder.forward(
                        toDevice(promptIds(prompts, pad, promptWidth, config), batch, promptWidth),
                        toDevice(promptPositions(pad, promptWidth), batch, promptWidth),
                        promptWidth - 1, prefillMask(pad, promptWidth), cache);
                logits.copy_(decoder.logits(hidden.narrow(1, promptWidth - 1, 1)).squeeze(1).to(cpu, ScalarType.Float));
            }
            for (int step = 0; step < maxNewTokens; step++) {
                try (PointerScope scope = new PointerScope()) {
                    long[] next = TensorData.toLongs(sampler.next(logits));
                    boolean all = true;
                    for (int b = 0; b < batch; b++) {
                        if (!finished[b]) {
                            if (eosIds.contains((int) next[b])) {
                                finished[b] = true;
                            } else {
                                generated.get(b).add((int) next[b]);
                            }
                        }
                        all &= finished[b];
                    }
                    if (all || step == maxNewTokens - 1) {
                        break;
                    }
                    int slot = promptWidth + step; // the slot this new token occupies
                    long[] positions = new long[batch];
                    for (int b = 0; b < batch; b++) {
                        positions[b] = slot - pad[b];
                    }
                    Tensor hidden = decoder.forward(toDevice(next, batch, 1), toDevice(positions, batch, 1), slot,
                            keyMask.narrow(3, 0, slot + 1), cache);
                    logits.copy_(decoder.logits(hidden).squeeze(1).to(cpu, ScalarType.Float));
                }
            }
        }
        List<Completion> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int[] tokens = generated.get(b).stream().mapToInt(Integer::intValue).toArray();
            out.add(new Completion(prompts.get(b), tokens, finished[b]));
        }
        return out;
    }

    private Tensor toDevice(long[] values, int batch, int width) {
        return TensorData.longs(values, batch, width).to(decoder.device(), ScalarType.Long);
    }

    private static long[] promptIds(List<int[]> prompts, int[] pad, int width, ModelConfig config) {
        // Padding slots hold any valid id: attention never reads them.
        long padId = config.padTokenId() >= 0 ? config.padTokenId() : 0;
        long[] ids = new long[prompts.size() * width];
        Arrays.fill(ids, padId);
        for (int b = 0; b < prompts.size(); b++) {
            int[] p = prompts.get(b);
            for (int j = 0; j < p.length; j++) {
                ids[b * width + pad[b] + j] = p[j];
            }
        }
        return ids;
    }

    private static long[] promptPositions(int[] pad, int width) {
        long[] positions = new long[pad.length * width];
        for (int b = 0; b < pad.length; b++) {
            for (int j = 0; j < width; j++) {
                positions[b * width + j] = Math.max(0, j - pad[b]);
            }
        }
        return positions;
    }

    /**
     * The prefill mask (B, 1, T, T): causal, and blind to padding. A padding query may see itself, so that no
     * softmax row is fully masked (which would turn into NaN and leak through the values).
     */
    private Tensor prefillMask(int[] pad, int width) {
        float[] mask = new float[pad.length * width * width];
        for (int b = 0; b < pad.length; b++) {
            for (int i = 0; i < width; i++) {
                for (int j = 0; j < width; j++) {
                    boolean visible = j <= i && (j >= pad[b] || j == i);
                    mask[(b * width + i) * width + j] = visible ? 0f : MASKED;
                }
            }
        }
        return TensorData.floats(mask, pad.length, 1, width, width).to(decoder.device(), decoder.dtype().scalarType());
    }

    /** For decode steps: every slot from a sequence's first real token on is visible. (B, 1, 1, capacity). */
    private Tensor keyMask(int[] pad, int capacity) {
        float[] mask = new float[pad.length * capacity];
        for (int b = 0; b < pad.length; b++) {
            for (int j = 0; j < pad[b]; j++) {
                mask[b * capacity + j] = MASKED;
            }
        }
        return TensorData.floats(mask, pad.length, 1, 1, capacity).to(decoder.device(), decoder.dtype().scalarType());
    }
}
