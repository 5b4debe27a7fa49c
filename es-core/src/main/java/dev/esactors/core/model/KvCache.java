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
        for (int l = 0; l < keys.length; l++) {
            keys[l] = torch.zeros(shape, options);
            values[l] = torch.zeros(shape, options);
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

    /** Marks {@code t} more slots as filled, after every layer has appended them. */
    void advance(int t) {
        length += t;
    }
}
