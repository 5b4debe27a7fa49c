package dev.esactors.core.es;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * How a replica computes with fp32 state that is not on its device (a GPU run's master in host memory or in a
 * mapped file): ranges of it are copied into device buffers, computed with there by the same operations as state on
 * the device, and the ranges that changed copied back. Every step on the state is elementwise, so a range computes
 * the bits the whole tensor would. Unstaged (the state on the device), a range is the whole chunk and no copy is
 * made: the path every CPU run takes.
 */
final class MasterStaging {

    /** Elements per staged range: 64 MB of fp32 per buffer on the device. */
    static final long CHUNK = 1L << 24;

    static final int MASTER = 0;
    static final int ANCHOR = 1;
    static final int FIRST_MOMENT = 2;
    static final int SECOND_MOMENT = 3;

    private final boolean staged;
    private final long chunk;
    private final Tensor[] buffers = new Tensor[4];

    /**
     * @param staged  whether the state is staged (it is not on {@code device}, or a test makes it so)
     * @param chunk   elements per staged range
     * @param largest elements of the largest tensor staged (a buffer need not be longer)
     */
    MasterStaging(boolean staged, long chunk, long largest, Device device) {
        if (chunk < 1) {
            throw new IllegalArgumentException("a staged range needs at least one element, got " + chunk);
        }
        this.staged = staged;
        this.chunk = chunk;
        if (staged) { // allocated with the replica, outside the scopes that free what perturbation and update make
            TensorOptions f32 = new TensorOptions(ScalarType.Float).device(new DeviceOptional(device));
            for (int slot = 0; slot < buffers.length; slot++) {
                buffers[slot] = torch.empty(new long[] {Math.min(chunk, largest)}, f32, null);
            }
        }
    }

    boolean staged() {
        return staged;
    }

    /** Bounds of the ranges [bounds[k], bounds[k + 1]) of {@code length} elements that are staged one at a time. */
    long[] ranges(long length) {
        if (!staged || length <= chunk) {
            return new long[] {0, length};
        }
        int n = (int) ((length + chunk - 1) / chunk);
        long[] bounds = new long[n + 1];
        for (int k = 0; k < n; k++) {
            bounds[k] = k * chunk;
        }
        bounds[n] = length;
        return bounds;
    }

    /** {@code state} (a flat fp32 range of at most one chunk) where the device computes with it. */
    Tensor in(int slot, Tensor state) {
        if (!staged) {
            return state;
        }
        return buffers[slot].narrow(0, 0, state.numel()).copy_(state);
    }

    /** Writes {@code computed} (what {@link #in} returned, changed) back into {@code state}. */
    void out(Tensor state, Tensor computed) {
        if (staged) {
            state.copy_(computed);
        }
    }
}
