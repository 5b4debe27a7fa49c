package dev.esactors.core.model;

import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Batched generation with a KV cache. Prompts of different lengths are left-padded into one batch: each
 * sequence's positions start at 0 on its first real token and attention never sees its padding, so a
 * sequence decodes to the same tokens alone or in any batch. Each sequence stops at its own end-of-sequence
 * token or after {@code maxNewTokens}. A prefix that every prompt shares (an instruction before each puzzle, say)
 * is run once per row group and its keys and values copied into every row; the padding then sits between that
 * prefix and the rest of each prompt.
 */
public final class BatchGenerator {

    private static final float MASKED = Float.NEGATIVE_INFINITY;

    /**
     * The shortest common prompt prefix worth a pass of its own: below it, the extra forward's fixed cost (about
     * as many LibTorch calls as a decode step) outweighs the rows it saves on small batches.
     */
    public static final int MIN_SHARED_PREFIX = 8;

    private final Decoder decoder;
    private final boolean sharePrefix;

    public BatchGenerator(Decoder decoder) {
        this(decoder, true);
    }

    /** {@code sharePrefix} false: every row prefills its whole prompt (what a shared prefix is measured against). */
    public BatchGenerator(Decoder decoder, boolean sharePrefix) {
        this.decoder = decoder;
        this.sharePrefix = sharePrefix;
    }

    /** Generates up to {@code maxNewTokens} tokens after each prompt (each at least one token long). */
    public List<Completion> generate(List<int[]> prompts, int maxNewTokens, Set<Integer> eosIds,
                                     SamplingConfig sampling) {
        return generate(prompts, maxNewTokens, eosIds, sampling, WeightDelta.NONE);
    }

    /**
     * {@link #generate(List, int, Set, SamplingConfig)} with {@code delta}'s per-member changes in every forward
     * pass: the prompts are {@code delta.members()} groups of consecutive rows, one per member.
     */
    public List<Completion> generate(List<int[]> prompts, int maxNewTokens, Set<Integer> eosIds,
                                     SamplingConfig sampling, WeightDelta delta) {
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
        // Identical prompts (a GRPO group, a sampled evaluation's k answers) are prefilled once and copied; rows of
        // one member that start with the same tokens compute the same keys and values once per member.
        int groups = delta.members();
        Distinct distinct = sharePrefix && groups == 1 ? Distinct.of(prompts) : null;
        List<int[]> prefilled = distinct == null ? prompts : distinct.prompts();
        int shared = sharePrefix ? sharedPrefix(prefilled, groups) : 0;
        int[] pad = padding(prompts, promptWidth);
        List<List<Integer>> generated = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            generated.add(new ArrayList<>());
        }
        boolean[] finished = new boolean[batch];
        Sampler sampler = Sampler.of(sampling);
        try (PointerScope generation = new PointerScope()) {
            KvCache cache = decoder.newCache(batch, capacity);
            Tensor keyMask = keyMask(pad, shared, capacity); // (B, 1, 1, capacity)
            Tensor logits = torch.empty(new long[] {batch, config.vocabSize()}, new TensorOptions(ScalarType.Float), null);
            try (PointerScope prefill = new PointerScope()) {
                if (distinct == null) {
                    logits.copy_(prefill(prompts, promptWidth, shared, groups, cache, delta));
                } else {
                    KvCache once = decoder.newCache(prefilled.size(), promptWidth);
                    Tensor first = prefill(prefilled, promptWidth, shared, 1, once, delta);
                    Tensor rows = TensorData.longs(distinct.rows(), batch);
                    cache.fillRows(once, rows.to(decoder.device(), ScalarType.Long));
                    logits.copy_(first.index_select(0, rows));
                }
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
                            keyMask.narrow(3, 0, slot + 1), cache, delta);
                    decoder.logitsInto(logits, hidden, delta);
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

    /**
     * Runs {@code prompts} (left-padded to {@code promptWidth}, their first {@code shared} tokens common to all) into
     * the empty {@code cache} and returns the logits (B, V) of each one's next token, float32 on the CPU.
     */
    private Tensor prefill(List<int[]> prompts, int promptWidth, int shared, int groups, KvCache cache,
                           WeightDelta delta) {
        int batch = prompts.size();
        int width = promptWidth - shared; // the prefill's columns after the shared prefix
        int[] pad = padding(prompts, promptWidth);
        if (shared > 0) {
            prefillShared(prompts.get(0), shared, groups, cache, delta);
        }
        Tensor hidden = decoder.forward(
                toDevice(promptIds(prompts, pad, shared, width, decoder.config()), batch, width),
                toDevice(promptPositions(pad, shared, width), batch, width),
                promptWidth - 1, prefillMask(pad, shared, width), cache, delta);
        return decoder.logits(hidden.narrow(1, width - 1, 1), delta).squeeze(1)
                .to(new Device(torch.DeviceType.CPU), ScalarType.Float);
    }

    private static int[] padding(List<int[]> prompts, int promptWidth) {
        int[] pad = new int[prompts.size()];
        for (int b = 0; b < pad.length; b++) {
            pad[b] = promptWidth - prompts.get(b).length;
        }
        return pad;
    }

    /** The distinct prompts of a batch, in order of first appearance, and which of them each row holds. */
    private record Distinct(List<int[]> prompts, long[] rows) {

        /** The batch's distinct prompts, or null when every row's prompt is its own (nothing to share). */
        static Distinct of(List<int[]> batch) {
            Map<IntBuffer, Integer> index = new HashMap<>(); // an IntBuffer's equality is its contents'
            List<int[]> prompts = new ArrayList<>();
            long[] rows = new long[batch.size()];
            for (int b = 0; b < rows.length; b++) {
                int[] p = batch.get(b);
                rows[b] = index.computeIfAbsent(IntBuffer.wrap(p), key -> {
                    prompts.add(p);
                    return prompts.size() - 1;
                });
            }
            return prompts.size() == rows.length ? null : new Distinct(prompts, rows);
        }
    }

    private Tensor toDevice(long[] values, int batch, int width) {
        return TensorData.longs(values, batch, width).to(decoder.device(), ScalarType.Long);
    }

    /**
     * The length of the prefix every prompt starts with, if sharing it pays: its keys and values are then computed
     * once per row group (a member's rows, {@link WeightDelta#members}) instead of once per row (an instruction that precedes every
     * puzzle, say). At least one token of each prompt is left to the per-row prefill, whose last position gives
     * the first logits. 0: no sharing (single rows per group, or a prefix too short to be worth an extra pass).
     */
    public static int sharedPrefix(List<int[]> prompts, int groups) {
        if (prompts.size() / groups < 2) {
            return 0;
        }
        int[] first = prompts.get(0);
        int common = first.length - 1;
        for (int[] p : prompts) {
            common = Math.min(common, p.length - 1);
            int j = 0;
            while (j < common && p[j] == first[j]) {
                j++;
            }
            common = j;
        }
        return common >= MIN_SHARED_PREFIX ? common : 0;
    }

    /** Runs the shared prefix once per row group and copies its keys and values into every row of the group. */
    private void prefillShared(int[] prompt, int shared, int groups, KvCache cache, WeightDelta delta) {
        long[] ids = new long[groups * shared];
        long[] positions = new long[groups * shared];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < shared; j++) {
                ids[g * shared + j] = prompt[j];
                positions[g * shared + j] = j;
            }
        }
        float[] mask = new float[shared * shared];
        for (int i = 0; i < shared; i++) {
            for (int j = i + 1; j < shared; j++) {
                mask[i * shared + j] = MASKED;
            }
        }
        KvCache prefix = decoder.newCache(groups, shared);
        decoder.forward(toDevice(ids, groups, shared), toDevice(positions, groups, shared), shared - 1,
                TensorData.floats(mask, 1, 1, shared, shared).to(decoder.device(), decoder.dtype().scalarType()),
                prefix, delta);
        cache.fillPrefix(prefix);
    }

    /** The prefill's token ids (B, width): each prompt after the shared prefix, left-padded to the width. */
    private static long[] promptIds(List<int[]> prompts, int[] pad, int shared, int width, ModelConfig config) {
        // Padding slots hold any valid id: attention never reads them.
        long padId = config.padTokenId() >= 0 ? config.padTokenId() : 0;
        long[] ids = new long[prompts.size() * width];
        Arrays.fill(ids, padId);
        for (int b = 0; b < prompts.size(); b++) {
            int[] p = prompts.get(b);
            for (int j = shared; j < p.length; j++) {
                ids[b * width + pad[b] + j - shared] = p[j];
            }
        }
        return ids;
    }

    private static long[] promptPositions(int[] pad, int shared, int width) {
        long[] positions = new long[pad.length * width];
        for (int b = 0; b < pad.length; b++) {
            for (int j = 0; j < width; j++) {
                positions[b * width + j] = shared + Math.max(0, j - pad[b]);
            }
        }
        return positions;
    }

    /**
     * The prefill mask (B, 1, width, shared + width): causal, and blind to padding, which sits between the shared
     * prefix and the rest of each prompt. A padding query sees only itself, so that no softmax row is fully
     * masked (which would turn into NaN and leak through the values).
     */
    private Tensor prefillMask(int[] pad, int shared, int width) {
        int slots = shared + width;
        float[] mask = new float[pad.length * width * slots];
        for (int b = 0; b < pad.length; b++) {
            for (int i = 0; i < width; i++) {
                int query = shared + i;
                boolean realQuery = i >= pad[b];
                for (int key = 0; key < slots; key++) {
                    boolean realKey = key < shared || key >= shared + pad[b];
                    boolean visible = key == query || (key < query && realQuery && realKey);
                    mask[(b * width + i) * slots + key] = visible ? 0f : MASKED;
                }
            }
        }
        return TensorData.floats(mask, pad.length, 1, width, slots).to(decoder.device(), decoder.dtype().scalarType());
    }

    /** For decode steps: every slot but a sequence's padding (after the shared prefix) is visible. (B, 1, 1, capacity). */
    private Tensor keyMask(int[] pad, int shared, int capacity) {
        float[] mask = new float[pad.length * capacity];
        for (int b = 0; b < pad.length; b++) {
            for (int j = shared; j < shared + pad[b]; j++) {
                mask[b * capacity + j] = MASKED;
            }
        }
        return TensorData.floats(mask, pad.length, 1, 1, capacity).to(decoder.device(), decoder.dtype().scalarType());
    }
}
