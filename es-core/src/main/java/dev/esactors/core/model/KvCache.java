package dev.esactors.core.model;

import dev.esactors.core.torch.Torch;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Keys and values of every layer for a batch, preallocated once for the whole generation so that decoding
 * appends in place instead of concatenating per token. Slots are columns of the left-padded batch.
 */
public final class KvCache {

    private final Tensor[] keys;
    private final Tensor[] values;
    private final Tensor[] broadcastKeys; // per layer (B, nKv, 1, S_max, hd): a step's broadcast operands
    private final Tensor[] broadcastValues;
    private final Tensor[] batchedKeys; // per layer (B nKv, hd, S_max): a step's batched product operands
    private final Tensor[] batchedValues; // (B nKv, S_max, hd)
    private final int capacity;
    private int length;

    /** Allocates {@code capacity} slots for {@code batch} sequences. */
    public KvCache(ModelConfig config, int batch, int capacity, Device device, ScalarType dtype) {
        Torch.load();
        this.capacity = capacity;
        this.keys = new Tensor[config.numLayers()];
        this.values = new Tensor[config.numLayers()];
        long[] shape = {batch, config.numKvHeads(), capacity, config.headDim()}; // (B, nKv, S_max, hd)
        TensorOptions options = new TensorOptions(dtype).device(new org.bytedeco.pytorch.DeviceOptional(device));
        this.broadcastKeys = new Tensor[config.numLayers()];
        this.broadcastValues = new Tensor[config.numLayers()];
        this.batchedKeys = new Tensor[config.numLayers()];
        this.batchedValues = new Tensor[config.numLayers()];
        long rows = (long) batch * config.numKvHeads();
        for (int l = 0; l < keys.length; l++) {
            keys[l] = torch.zeros(shape, options);
            values[l] = torch.zeros(shape, options);
            // Made with the cache, so that they belong to the scope it belongs to; one view fewer per step and layer.
            broadcastKeys[l] = keys[l].unsqueeze(2);
            broadcastValues[l] = values[l].unsqueeze(2);
            batchedKeys[l] = keys[l].view(rows, capacity, config.headDim()).transpose(1, 2);
            batchedValues[l] = values[l].view(rows, capacity, config.headDim());
        }
    }

    /** Slots filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Writes {@code k} and {@code v} (B, nKv, T, hd) of layer {@code layer} at slots [length, length + T) and
     * returns views of all filled slots including them: (B, nKv, length + T, hd).
     */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        long t = k.size(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache of " + capacity + " slots cannot take " + t
                    + " more after " + length);
        }
        keys[layer].narrow(2, length, t).copy_(k);
        values[layer].narrow(2, length, t).copy_(v);
        return new Tensor[] {keys[layer].narrow(2, 0, length + t), values[layer].narrow(2, 0, length + t)};
    }

    /**
     * A one-position step's {@link #append}: writes {@code k} and {@code v} (B, nKv, 1, hd) of {@code layer} at the
     * slot that {@code slot} (a one-element long tensor) holds, which must be {@link #length()}, and returns keys and
     * values of all S filled slots in the layout {@code attention} takes: (B, nKv, 1, S, hd) each to broadcast,
     * (B nKv, hd, S) and (B nKv, S, hd) for batched products, (B, nKv, S, hd) else. Two new tensors, the views; the
     * writes go in place.
     */
    Tensor[] appendStep(int layer, Tensor slot, Tensor k, Tensor v, StepAttention attention) {
        if (length + 1 > capacity) {
            throw new IllegalStateException("KV cache of " + capacity + " slots is full");
        }
        keys[layer].index_copy_(2, slot, k);
        values[layer].index_copy_(2, slot, v);
        int s = length + 1;
        return switch (attention) {
            case BROADCAST -> new Tensor[] {broadcastKeys[layer].narrow(3, 0, s),
                    broadcastValues[layer].narrow(3, 0, s)};
            case BATCHED -> new Tensor[] {batchedKeys[layer].narrow(2, 0, s), batchedValues[layer].narrow(1, 0, s)};
            case FUSED -> new Tensor[] {keys[layer].narrow(2, 0, s), values[layer].narrow(2, 0, s)};
        };
    }

    /**
     * Fills the first slots of this empty cache with {@code prefix}'s, row group by row group: the prefix cache
     * holds G rows, this one G x R, and row g of the prefix goes to rows [g R, (g + 1) R).
     */
    void fillPrefix(KvCache prefix) {
        if (length != 0 || prefix.length > capacity) {
            throw new IllegalStateException("cannot fill " + prefix.length + " prefix slots into a cache holding "
                    + length + " of " + capacity);
        }
        long groups = prefix.keys[0].size(0);
        long rows = keys[0].size(0);
        if (rows % groups != 0) {
            throw new IllegalArgumentException(rows + " rows cannot be split into " + groups + " groups");
        }
        for (int l = 0; l < keys.length; l++) {
            copyGrouped(prefix.keys[l].narrow(2, 0, prefix.length), keys[l], rows / groups);
            copyGrouped(prefix.values[l].narrow(2, 0, prefix.length), values[l], rows / groups);
        }
        length = prefix.length;
    }

    /**
     * Fills this empty cache from {@code from}'s filled slots, row {@code rows[b]} of {@code from} into row b: a
     * prompt prefilled once serves every row that holds it.
     */
    void fillRows(KvCache from, Tensor rows) {
        if (length != 0 || from.length > capacity || rows.size(0) != keys[0].size(0)) {
            throw new IllegalStateException("cannot fill " + rows.size(0) + " rows of " + from.length + " slots into "
                    + "a cache of " + keys[0].size(0) + " rows holding " + length + " of " + capacity);
        }
        for (int l = 0; l < keys.length; l++) {
            keys[l].narrow(2, 0, from.length).copy_(from.keys[l].narrow(2, 0, from.length).index_select(0, rows));
            values[l].narrow(2, 0, from.length).copy_(from.values[l].narrow(2, 0, from.length).index_select(0, rows));
        }
        length = from.length;
    }

    private static void copyGrouped(Tensor from, Tensor to, long perGroup) {
        long g = from.size(0);
        long[] shape = {g, perGroup, from.size(1), from.size(2), from.size(3)};
        // (G, nKv, L, hd) -> (G, R, nKv, L, hd) without copying, then written into the first L slots in one copy
        to.narrow(2, 0, from.size(2)).view(shape).copy_(from.unsqueeze(1).expand(shape));
    }

    /** Marks {@code t} more slots as filled, after every layer has appended them. */
    void advance(int t) {
        length += t;
    }
}
