package dev.esactors.core.es.noise;

import dev.esactors.core.torch.Scopes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whole members' full-rank noise, kept from their perturbation to the update, so that the update reads it instead
 * of drawing it from the generator again: on a CPU, LibTorch's normal generator is most of what ES adds to
 * decoding (about 1 GB/s of noise here), and the update would draw every member's noise a second time. An
 * antithetic pair's second member finds its seed's noise here too. The values are the generator's own, so cached
 * and regenerated noise give the same bits: the cache changes speed and memory, never results.
 *
 * <p>Members are kept whole while they fit in the byte budget (a member is the selected parameters' size in fp32);
 * the rest are drawn as before. Slots are allocated when first needed and reused by later iterations, so the memory
 * stays with the replica (freshly allocated memory would pay its page faults every iteration).
 */
public final class NoiseCache {

    /** The budget a CPU replica keeps when none is configured. */
    static final long CPU_DEFAULT_BYTES = 1L << 30;
    /** A budget of this value means: {@link #CPU_DEFAULT_BYTES} on a CPU, none on a GPU (whose generator is fast). */
    public static final long AUTO = -1;

    private final long[] offsets; // element offset of tensor i inside a slot; -1 when not selected
    private final long memberElements;
    private final Device device;
    private final int capacity;
    private final List<Tensor> slots = new ArrayList<>(); // allocated as needed, up to capacity
    private final BitSet used = new BitSet(); // slots holding a member's noise
    private final Map<Long, Integer> bySeed = new HashMap<>(); // member seed -> its slot

    /**
     * @param budgetBytes the most memory the kept noise may take, or {@link #AUTO}
     * @param numels      every parameter's element count, in layout order
     * @param selected    which parameters are perturbed (only theirs is noise)
     */
    public NoiseCache(long budgetBytes, long[] numels, boolean[] selected, Device device) {
        this.device = device;
        this.offsets = new long[numels.length];
        long elements = 0;
        for (int i = 0; i < numels.length; i++) {
            offsets[i] = selected[i] ? elements : -1;
            elements += selected[i] ? numels[i] : 0;
        }
        this.memberElements = elements;
        long budget = budgetBytes == AUTO ? (device.is_cuda() ? 0 : CPU_DEFAULT_BYTES) : budgetBytes;
        if (budget < 0) {
            throw new IllegalArgumentException("noise cache budget must be >= 0 bytes, got " + budgetBytes);
        }
        // a tiny model's budget holds more members than any population: slots are only made when needed
        this.capacity = elements == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE - 8, budget / (4 * elements));
    }

    /** How many whole members the budget holds. */
    public int capacity() {
        return capacity;
    }

    /** The slot holding member seed {@code seed}'s noise, or -1. */
    public int find(long seed) {
        return bySeed.getOrDefault(seed, -1);
    }

    /**
     * A free slot for a member's noise, allocated if it is the first use, or -1 when the budget is taken. The slot
     * counts as holding the member's noise only after {@link #commit}: a perturbation that fails half way leaves no
     * half-drawn member behind.
     */
    public int reserve() {
        int k = used.nextClearBit(0);
        if (k < slots.size()) {
            return k;
        }
        if (slots.size() == capacity) {
            return -1;
        }
        try (PointerScope own = new PointerScope()) { // the replica's for its life, not the caller's
            slots.add(Scopes.keep(own, torch.empty(new long[] {memberElements},
                    new TensorOptions(ScalarType.Float).device(new DeviceOptional(device)), null)));
        }
        return slots.size() - 1;
    }

    /** Slot {@code slot} now holds every selected tensor's noise of {@code seed}. */
    public void commit(int slot, long seed) {
        used.set(slot);
        bySeed.put(seed, slot);
    }

    /**
     * Elements [offset, offset + length) of tensor {@code index}'s noise in slot {@code slot}, flat (a view: writing
     * fills the slot).
     */
    public Tensor range(int slot, int index, long offset, long length) {
        if (offsets[index] < 0) {
            throw new IllegalArgumentException("parameter " + index + " is not perturbed, so has no noise");
        }
        return slots.get(slot).narrow(0, offsets[index] + offset, length);
    }

    /** Forgets every member (the memory stays, for the next iteration's members). */
    public void clear() {
        used.clear();
        bySeed.clear();
    }
}
