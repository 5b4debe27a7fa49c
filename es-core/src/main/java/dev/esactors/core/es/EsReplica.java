package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankNoise;
import dev.esactors.core.es.noise.LowRankPass;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.NoiseCache;
import dev.esactors.core.es.noise.NoiseSource;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.WeightsHash;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ES view of one model replica: its working parameters (what the model computes with, in F32, BF16 or
 * F16) and their fp32 master copy (what updates accumulate in). Perturbation writes master + sigma x eps into
 * the working copy; restore re-derives the working copy from the master, so it is bit-exact in any dtype.
 * Tensor i's noise depends only on (member seed, i), with i the parameter's position in layout order, which is
 * why the full-rank noise of the members a replica perturbed can be kept for the update ({@link NoiseCache}) instead
 * of being drawn again, with the same bits. The replica checks and holds the tensors; perturbing is
 * {@link ReplicaPerturbation}'s, applying updates (and the optimizer's state) {@link ReplicaUpdate}'s.
 */
public final class EsReplica {

    /** A noise cache budget that means: 1 GiB on a CPU, none on a GPU. */
    public static final long NOISE_CACHE_DEFAULT = NoiseCache.AUTO;

    /** Full-rank noise is drawn and summed in chunks of this many elements (a multiple of 16; CPU only). */
    static final long NOISE_CHUNK = 1L << 24;

    private final EsConfig config;
    private final List<String> names;
    private final List<Tensor> working;
    private final List<Tensor> master;
    private final boolean[] selected;
    private final NoiseSource noise;
    private final NoiseCache cache; // null in low-rank mode
    private final ReplicaPerturbation perturbation;
    private final ReplicaUpdate update;
    private boolean perturbed;

    /**
     * @param master  fp32 master weights by name, in layout order (taken over: updates write into them)
     * @param working the model's parameters by the same names (perturbed in place); may be the same tensors as
     *                {@code master} only if nothing else needs the unperturbed weights, which is never: pass copies
     */
    public EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working) {
        this(config, master, working, NoiseCache.AUTO);
    }

    /**
     * @param noiseCacheBytes memory for keeping members' full-rank noise from their perturbation to the update (so
     *                        that the update need not draw it again): whole members up to this many bytes; -1 for
     *                        the default (1 GiB on a CPU, none on a GPU). Changes speed and memory, never results
     */
    public EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working, long noiseCacheBytes) {
        this(config, master, working, noiseCacheBytes, MasterMemory.IN_MEMORY);
    }

    /**
     * @param memory where the fp32 state beside the master (the anchor, Adam's moments) is allocated: where the
     *               master is, as {@link EsModel#load} places it
     */
    public EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working, long noiseCacheBytes,
                     MasterMemory memory) {
        this(config, master, working, noiseCacheBytes, NOISE_CHUNK, memory);
    }

    /** With full-rank noise drawn in chunks of {@code chunk} elements: tests show any chunking gives the same bits. */
    EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working, long noiseCacheBytes,
              long chunk) {
        this(config, master, working, noiseCacheBytes, chunk, MasterMemory.IN_MEMORY);
    }

    private EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working, long noiseCacheBytes,
                      long chunk, MasterMemory memory) {
        this(config, master, working, noiseCacheBytes, chunk, memory, 0);
    }

    /**
     * @param stageChunk 0: the master is staged through device buffers of {@link MasterStaging#CHUNK} elements when
     *                   it is not on the working copy's device; more: staged in ranges of this many elements even on
     *                   the same device (tests show staging gives the same bits)
     */
    EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working, long noiseCacheBytes,
              long chunk, MasterMemory memory, long stageChunk) {
        if (!master.keySet().equals(working.keySet()) || !new ArrayList<>(master.keySet()).equals(new ArrayList<>(working.keySet()))) {
            throw new IllegalArgumentException("master and working parameters must have the same names in the same order");
        }
        this.config = config;
        this.names = List.copyOf(master.keySet());
        this.working = List.copyOf(working.values());
        this.master = List.copyOf(master.values());
        this.selected = new boolean[names.size()];
        long largest = 1;
        for (int i = 0; i < names.size(); i++) {
            Tensor m = this.master.get(i);
            Tensor w = this.working.get(i);
            if (DType.of(m.scalar_type()) != DType.F32) {
                throw new IllegalArgumentException("master parameter '" + names.get(i) + "' must be F32, is "
                        + DType.of(m.scalar_type()));
            }
            if (!Arrays.equals(TensorData.shape(m), TensorData.shape(w))) {
                throw new IllegalArgumentException("master and working '" + names.get(i) + "' differ in shape");
            }
            if (!m.device().equals(this.master.get(0).device()) || !w.device().equals(this.working.get(0).device())
                    || !(m.device().equals(w.device()) || m.device().is_cpu())) {
                throw new IllegalArgumentException("master '" + names.get(i) + "' must be on the working copy's "
                        + "device or in host memory, every master in one place and every working tensor in one");
            }
            if (!m.is_contiguous() || !w.is_contiguous()) { // chunks are ranges of their flat views
                throw new IllegalArgumentException("master and working '" + names.get(i) + "' must be contiguous");
            }
            if (m.data_ptr().address() == w.data_ptr().address()) {
                throw new IllegalArgumentException("master and working '" + names.get(i) + "' share memory; "
                        + "the master must be a separate copy");
            }
            selected[i] = config.parameters().selects(names.get(i), TensorData.shape(m));
        }
        this.noise = new NoiseSource(config.noiseMode());
        Device device = this.working.get(0).device(); // where noise is drawn and the model computes
        List<long[]> shapes = new ArrayList<>();
        long[] numels = new long[names.size()];
        for (int i = 0; i < names.size(); i++) {
            shapes.add(TensorData.shape(this.master.get(i)));
            numels[i] = this.master.get(i).numel();
            if (selected[i]) {
                largest = Math.max(largest, numels[i]);
            }
        }
        LowRankNoise lowRank = config.perturbation() instanceof Perturbation.LowRank l
                ? new LowRankNoise(noise, l.rank(), shapes, selected, device) : null;
        this.cache = lowRank != null ? null : new NoiseCache(noiseCacheBytes, numels, selected, device);
        TensorOptions f32 = new TensorOptions(ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(device));
        // a chunk is at most chunk + 15 long (a remainder under 16 joins the last chunk)
        long chunked = device.is_cuda() ? largest : Math.min(largest, chunk + 15);
        Tensor noiseBuffer = torch.empty(new long[] {lowRank == null ? chunked : 1}, f32, null);
        Tensor sumBuffer = torch.empty(new long[] {lowRank == null ? chunked : largest}, f32, null);
        MasterStaging staging = new MasterStaging(stageChunk > 0 || !this.master.get(0).device().equals(device),
                stageChunk > 0 ? stageChunk : MasterStaging.CHUNK, largest, device);
        ReplicaTensors tensors = new ReplicaTensors(names, this.master, this.working, selected, device, noise, lowRank,
                cache, chunk, noiseBuffer, sumBuffer, memory, staging);
        this.perturbation = new ReplicaPerturbation(config, tensors);
        // A replica is built on the base weights (checkpoints and updates come after), so they are the anchor.
        this.update = new ReplicaUpdate(config, tensors);
    }

    /** Fresh fp32 masters: detached float32 copies of {@code parameters}, in the same order. */
    public static Map<String, Tensor> masterCopy(Map<String, Tensor> parameters) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        parameters.forEach((name, t) -> out.put(name, t.to(ScalarType.Float).clone()));
        return out;
    }

    public EsConfig config() {
        return config;
    }

    public List<String> names() {
        return names;
    }

    /** The fp32 master weights by name (live tensors: do not modify). */
    public Map<String, Tensor> master() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), master.get(i));
        }
        return Collections.unmodifiableMap(out);
    }

    /** Whether parameter {@code name} is perturbed and updated. */
    public boolean isSelected(String name) {
        return selected[names.indexOf(name)];
    }

    /**
     * Writes master + sigma x sign x eps(member seed) into every selected working tensor. In low-rank mode eps of a
     * matrix is A B^T / sqrt(r), written out in full: one member at a time, as the single-process loop needs.
     */
    public void perturb(Member member) {
        if (perturbed) {
            throw new IllegalStateException("replica is already perturbed; restore it first");
        }
        perturbation.perturb(member);
        perturbed = true;
    }

    /**
     * The low-rank perturbations of {@code members}, stacked for one batched forward pass (see {@link LowRankPass});
     * the weights are not touched. Low-rank mode only. The caller closes the pass.
     */
    public LowRankPass lowRankPass(List<Member> members) {
        if (config.perturbation() instanceof Perturbation.FullRank) {
            throw new IllegalStateException("a full-rank replica perturbs one member at a time; "
                    + "batched passes need low-rank perturbations");
        }
        if (perturbed) {
            throw new IllegalStateException("replica is perturbed; restore it first");
        }
        return perturbation.lowRankPass(members);
    }

    /** Restores the working weights from the master: bit-exact, whatever the working dtype. */
    public void restore() {
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < names.size(); i++) {
                if (selected[i]) {
                    working.get(i).copy_(master.get(i));
                }
            }
        }
        perturbed = false;
    }

    /**
     * Applies {@code update}: for each selected tensor, sums coefficient x sign x eps over the members in member
     * order in fp32, moves the master by the update rule, and refreshes the working copy from the master. A
     * {@link Update#skipped} update changes nothing.
     */
    public void apply(Update update) {
        if (perturbed) {
            throw new IllegalStateException("cannot apply an update to a perturbed replica; restore it first");
        }
        this.update.apply(update);
    }

    /** How many whole members' noise this replica keeps between perturbation and update (0 in low-rank mode). */
    public int noiseCacheMembers() {
        return cache == null ? 0 : cache.capacity();
    }

    /** How many tensors' full-rank noise this replica has drawn from the generator so far. */
    public long noiseDraws() {
        return noise.draws();
    }

    /**
     * The L2 norm of the last applied ES step, alpha / N x sum_n c_n eps_n over the selected tensors (before Adam,
     * when Adam is used); NaN before the first update. For monitoring.
     */
    public double lastStepNorm() {
        return update.lastStepNorm();
    }

    /**
     * {@link #loadMaster(Map)} from {@code checkpoint}, one tensor at a time: the checkpoint's weights are never all
     * in memory beside the master.
     */
    public void loadMaster(Checkpoint checkpoint) {
        java.util.Set<String> saved = checkpoint.masterNames();
        if (!saved.containsAll(names)) {
            throw new IllegalArgumentException("checkpoint lacks parameters: missing "
                    + names.stream().filter(n -> !saved.contains(n)).toList());
        }
        checkpoint.forEachMaster((name, source) -> {
            int i = names.indexOf(name);
            if (i < 0) {
                return; // not a parameter of this model (a superset checkpoint): as loadMaster(Map) ignores it
            }
            requireShape(name, source, master.get(i));
            master.get(i).copy_(source);
            working.get(i).copy_(master.get(i));
        });
        perturbed = false;
        update.forgetNoise();
    }

    private static void requireShape(String name, Tensor source, Tensor target) {
        if (!Arrays.equals(TensorData.shape(source), TensorData.shape(target))) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' has shape "
                    + Arrays.toString(TensorData.shape(source)) + ", the model "
                    + Arrays.toString(TensorData.shape(target)));
        }
    }

    /** Replaces the master (and refreshes the working copy) with {@code weights}, e.g. from a checkpoint. */
    public void loadMaster(Map<String, Tensor> weights) {
        if (!weights.keySet().containsAll(names)) {
            throw new IllegalArgumentException("checkpoint lacks parameters: missing "
                    + names.stream().filter(n -> !weights.containsKey(n)).toList());
        }
        for (int i = 0; i < names.size(); i++) {
            Tensor source = weights.get(names.get(i));
            requireShape(names.get(i), source, master.get(i));
            master.get(i).copy_(source);
            working.get(i).copy_(master.get(i));
        }
        perturbed = false;
        update.forgetNoise();
    }

    /** The optimizer state to checkpoint (Adam moments by name and step count); empty for the plain rule. */
    public Map<String, Tensor> optimizerState() {
        return update.optimizerState();
    }

    public long optimizerStep() {
        return update.optimizerStep();
    }

    /** Restores optimizer state written by {@link #optimizerState()}. */
    public void loadOptimizerState(Map<String, Tensor> state, long step) {
        update.loadOptimizerState(state, step);
    }

    /** SHA-256 over the names, shapes and fp32 bytes of the master, in layout order. */
    public String masterHash() {
        return hash(names, master);
    }

    /** SHA-256 over the names, shapes and bytes of the working weights, in layout order. */
    public String workingHash() {
        return hash(names, working);
    }

    /** SHA-256 over the names, shapes and bytes of {@code tensors}, in order: see {@link WeightsHash}. */
    public static String hash(List<String> names, List<Tensor> tensors) {
        return WeightsHash.of(names, tensors);
    }
}
