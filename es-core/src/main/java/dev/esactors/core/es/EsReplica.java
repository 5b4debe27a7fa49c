package dev.esactors.core.es;

import dev.esactors.core.io.Sha256;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.model.ParameterLayout;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.Scopes;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.security.MessageDigest;
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
 * of being drawn again, with the same bits.
 */
public final class EsReplica {

    /** A noise cache budget that means: 1 GiB on a CPU, none on a GPU. */
    public static final long NOISE_CACHE_DEFAULT = NoiseCache.AUTO;

    private final EsConfig config;
    private final List<String> names;
    private final List<Tensor> working;
    private final List<Tensor> master;
    private final boolean[] selected;
    private final NoiseSource noise;
    private final LowRankNoise lowRank; // null in full-rank mode
    private final NoiseCache cache; // null in low-rank mode
    /** Full-rank noise is drawn and summed in chunks of this many elements (a multiple of 16; CPU only). */
    static final long NOISE_CHUNK = 1L << 24;

    private final long chunk;
    private final org.bytedeco.pytorch.Device device;
    // flat float32 scratch: a chunk of noise, and a chunk of the update's sum (in low-rank mode, the largest tensor:
    // a low-rank perturbation is formed whole)
    private final Tensor noiseBuffer;
    private final Tensor sumBuffer;
    private final AdamState adam;
    /** The base weights of the selected tensors (null for others, and when there is no anchor decay). */
    private final List<Tensor> anchor;
    private boolean perturbed;
    private double lastStepNorm = Double.NaN;

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
        this(config, master, working, noiseCacheBytes, NOISE_CHUNK);
    }

    /** With full-rank noise drawn in chunks of {@code chunk} elements: tests show any chunking gives the same bits. */
    EsReplica(EsConfig config, Map<String, Tensor> master, Map<String, Tensor> working, long noiseCacheBytes,
              long chunk) {
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
            if (!Arrays.equals(TensorData.shape(m), TensorData.shape(w)) || !m.device().equals(w.device())) {
                throw new IllegalArgumentException("master and working '" + names.get(i) + "' differ in shape or device");
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
        this.device = this.master.get(0).device();
        this.chunk = chunk;
        List<long[]> shapes = new ArrayList<>();
        long[] numels = new long[names.size()];
        for (int i = 0; i < names.size(); i++) {
            shapes.add(shape(i));
            numels[i] = this.master.get(i).numel();
            if (selected[i]) {
                largest = Math.max(largest, numels[i]);
            }
        }
        this.lowRank = config.perturbation() instanceof Perturbation.LowRank l
                ? new LowRankNoise(noise, l.rank(), shapes, selected, device) : null;
        this.cache = lowRank != null ? null : new NoiseCache(noiseCacheBytes, numels, selected, device);
        TensorOptions f32 = new TensorOptions(ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(device));
        // a chunk is at most chunk + 15 long (a remainder under 16 joins the last chunk)
        long chunked = device.is_cuda() ? largest : Math.min(largest, chunk + 15);
        this.noiseBuffer = torch.empty(new long[] {lowRank == null ? chunked : 1}, f32, null);
        this.sumBuffer = torch.empty(new long[] {lowRank == null ? chunked : largest}, f32, null);
        this.adam = config.update() instanceof UpdateRule.Adam ? new AdamState(this.master, selected) : null;
        // A replica is built on the base weights (checkpoints and updates come after), so they are the anchor.
        this.anchor = config.anchorDecay() == 0 ? null : anchorCopy();
    }

    private List<Tensor> anchorCopy() {
        List<Tensor> copies = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            copies.add(selected[i] ? master.get(i).clone() : null);
        }
        return java.util.Collections.unmodifiableList(copies);
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
        try (PointerScope scope = new PointerScope()) {
            double scale = config.sigma() * member.sign();
            Tensor stream = lowRank == null ? null : lowRank.streams(List.of(member)).select(0, 0);
            // full rank: the member's noise from the cache (an antithetic partner drew it), or drawn into a free
            // slot of it for the update to read, or drawn into the scratch buffer
            int slot = cache == null ? -1 : cache.find(member.seed());
            boolean draw = slot < 0;
            if (cache != null && slot < 0) {
                slot = cache.reserve();
            }
            for (int i = 0; i < names.size(); i++) {
                if (!selected[i]) {
                    continue;
                }
                Tensor m = master.get(i);
                if (lowRank != null) {
                    Tensor sum = view(sumBuffer, m).copy_(m);
                    if (lowRank.isMatrix(i)) {
                        Tensor[] f = lowRank.factors(stream, i);
                        sum.addmm_(f[0], f[1].t(), new Scalar(1.0), new Scalar(scale * lowRank.scale()));
                    } else {
                        sum.add_(lowRank.vector(stream, i).view(sum.sizes()), new Scalar(scale));
                    }
                    working.get(i).copy_(sum);
                    continue;
                }
                Tensor flat = m.view(-1);
                Tensor w = working.get(i).view(-1);
                GeneratorOptional drawing = draw ? noise.stream(device, member.seed(), i) : null;
                long[] bounds = NoiseSource.chunks(flat.numel(), chunk, device);
                for (int c = 0; c + 1 < bounds.length; c++) {
                    long offset = bounds[c];
                    long length = bounds[c + 1] - offset;
                    Tensor eps = slot >= 0 ? cache.range(slot, i, offset, length) : noiseBuffer.narrow(0, 0, length);
                    if (draw) {
                        NoiseSource.fill(eps, drawing);
                    }
                    Tensor mc = flat.narrow(0, offset, length);
                    Tensor wc = w.narrow(0, offset, length);
                    if (wc.scalar_type() == mc.scalar_type()) {
                        // an fp32 working copy takes sigma * sign * eps + master straight: the same two roundings
                        // as below, one pass over the tensor fewer
                        torch.mul_out(wc, eps, new Scalar(scale)).add_(mc);
                    } else {
                        // master + sigma * sign * eps in fp32 (in the scratch buffer, so that kept noise stays
                        // noise), then cast once into the working dtype
                        Tensor sum = slot >= 0 ? noiseBuffer.narrow(0, 0, length) : eps;
                        wc.copy_(torch.mul_out(sum, eps, new Scalar(scale)).add_(mc));
                    }
                }
            }
            if (draw && slot >= 0) {
                cache.commit(slot, member.seed()); // only now: a failure above leaves no half-drawn member
            }
        }
        perturbed = true;
    }

    /**
     * The low-rank perturbations of {@code members}, stacked for one batched forward pass (see {@link LowRankPass});
     * the weights are not touched. Low-rank mode only. The caller closes the pass.
     */
    public LowRankPass lowRankPass(List<Member> members) {
        if (lowRank == null) {
            throw new IllegalStateException("a full-rank replica perturbs one member at a time; "
                    + "batched passes need low-rank perturbations");
        }
        if (perturbed) {
            throw new IllegalStateException("replica is perturbed; restore it first");
        }
        int m = members.size();
        LowRankPass pass = new LowRankPass(m);
        try (PointerScope scope = new PointerScope()) {
            Tensor streams = lowRank.streams(members);
            double[] sigmas = new double[m];
            for (int k = 0; k < m; k++) {
                sigmas[k] = config.sigma() * members.get(k).sign();
            }
            Tensor[] scales = lowRank.scales(sigmas);
            for (int i = 0; i < names.size(); i++) {
                if (!selected[i]) {
                    continue;
                }
                ScalarType dtype = working.get(i).scalar_type();
                if (lowRank.isMatrix(i)) {
                    Tensor[] f = lowRank.stackedFactors(streams, i, scales[0]);
                    Tensor aT = Scopes.keep(scope, inDtype(f[0], dtype));
                    Tensor b = Scopes.keep(scope, inDtype(f[1], dtype));
                    pass.matrix(names.get(i), aT, b);
                    if (names.get(i).equals(ParameterLayout.EMBED)) {
                        // Token lookups want A's rows: (M x vocab, r), and each member's offset into them.
                        long vocab = shape(i)[0];
                        Tensor rows = Scopes.keep(scope,
                                aT.transpose(1, 2).reshape(m * vocab, lowRank.rank()).contiguous());
                        Tensor offsets = Scopes.keep(scope, torch.arange(new Scalar(0L), new Scalar(m * vocab),
                                new Scalar(vocab), new TensorOptions(ScalarType.Long).device(
                                        new org.bytedeco.pytorch.DeviceOptional(master.get(i).device())))
                                .view(m, 1).contiguous());
                        pass.embedding(names.get(i), rows, offsets);
                    }
                } else {
                    pass.vector(names.get(i), Scopes.keep(scope, inDtype(lowRank.stackedVector(streams, i, scales[1]),
                            dtype)));
                }
            }
        }
        return pass;
    }

    /** {@code t} in {@code dtype} (a converted copy, or {@code t} itself). */
    private static Tensor inDtype(Tensor t, ScalarType dtype) {
        return t.scalar_type() == dtype ? t : t.to(dtype);
    }

    /**
     * The generators of full-rank tensor i's noise for the members whose noise is not kept (null for those whose is),
     * to draw it chunk by chunk.
     */
    private GeneratorOptional[] streams(int i, long[] seeds) {
        GeneratorOptional[] streams = new GeneratorOptional[seeds.length];
        for (int k = 0; k < seeds.length; k++) {
            streams[k] = cache.find(seeds[k]) >= 0 ? null : noise.stream(device, seeds[k], i);
        }
        return streams;
    }

    /**
     * sum_n c_n sign_n eps_n over elements [offset, offset + length) of full-rank tensor i, member by member in order
     * (in the sum buffer); {@code streams} are the members' generators, each at this chunk.
     */
    private Tensor fullRankSum(int i, long offset, long length, long[] seeds, int[] signs, double[] coefficients,
                               GeneratorOptional[] streams) {
        Tensor sum = sumBuffer.narrow(0, 0, length).zero_();
        Tensor eps = noiseBuffer.narrow(0, 0, length);
        for (int k = 0; k < seeds.length; k++) {
            Tensor e = streams[k] == null ? cache.range(cache.find(seeds[k]), i, offset, length)
                    : NoiseSource.fill(eps, streams[k]);
            sum.add_(e, new Scalar(coefficients[k] * signs[k]));
        }
        return sum;
    }

    /**
     * sum_n c_n sign_n eps_n of every selected tensor in low-rank mode (null for the others): the members' streams
     * are drawn chunk by chunk and each tensor's chunk sum is one matrix product added in chunk order.
     */
    private List<Tensor> lowRankSums(Update update) {
        long[] seeds = update.seeds();
        int[] signs = update.signs();
        double[] coefficients = update.coefficients();
        List<Member> members = new ArrayList<>();
        for (int k = 0; k < seeds.length; k++) {
            members.add(new Member(k, seeds[k], signs[k]));
        }
        List<Tensor> sums = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            sums.add(selected[i] ? torch.zeros_like(master.get(i)) : null);
        }
        for (List<Member> chunk : LowRankNoise.chunks(members)) {
            Tensor streams = lowRank.streams(chunk);
            double[] signed = new double[chunk.size()];
            for (int k = 0; k < chunk.size(); k++) {
                signed[k] = coefficients[chunk.get(k).index()] * chunk.get(k).sign();
            }
            Tensor[] scaled = lowRank.scales(signed);
            for (int i = 0; i < names.size(); i++) {
                if (selected[i]) {
                    lowRank.accumulate(sums.get(i), streams, i, lowRank.isMatrix(i) ? scaled[0] : scaled[1]);
                }
            }
            streams.close();
        }
        return sums;
    }

    private long[] shape(int i) {
        return TensorData.shape(master.get(i));
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
        if (update.skipped()) {
            lastStepNorm = 0; // no signal: the weights, the decay and the optimizer's state stay as they are
            forgetNoise();
            return;
        }
        int n = update.populationSize();
        long[] seeds = update.seeds();
        int[] signs = update.signs();
        double[] coefficients = update.coefficients();
        if (adam != null) {
            adam.step++;
        }
        double squaredNorm = 0;
        try (PointerScope scope = new PointerScope()) {
            List<Tensor> lowRankSums = lowRank == null ? null : lowRankSums(update);
            for (int i = 0; i < names.size(); i++) {
                if (!selected[i]) {
                    continue;
                }
                // tensor by tensor, chunk by chunk: every step below is elementwise, so a chunk of a tensor rounds
                // as the whole tensor did; only the norm's float sums are per chunk (monitoring, not weights)
                try (PointerScope tensorScope = new PointerScope()) {
                    Tensor m = master.get(i).view(-1);
                    Tensor w = working.get(i).view(-1);
                    long[] bounds = lowRankSums != null ? new long[] {0, m.numel()}
                            : NoiseSource.chunks(m.numel(), chunk, device);
                    GeneratorOptional[] streams = lowRankSums != null ? null : streams(i, seeds);
                    for (int c = 0; c + 1 < bounds.length; c++) {
                        long offset = bounds[c];
                        long length = bounds[c + 1] - offset;
                        Tensor sum = lowRankSums != null ? lowRankSums.get(i).view(-1)
                                : fullRankSum(i, offset, length, seeds, signs, coefficients, streams);
                        squaredNorm += step(i, m.narrow(0, offset, length), sum, update, offset, length);
                        w.narrow(0, offset, length).copy_(m.narrow(0, offset, length));
                    }
                }
            }
        }
        lastStepNorm = update.alpha() / n * Math.sqrt(squaredNorm);
        forgetNoise();
    }

    /**
     * Moves elements [offset, offset + length) of master i ({@code m}) by the update rule along {@code sum} (which
     * it may overwrite); returns sum's squared norm.
     */
    private double step(int i, Tensor m, Tensor sum, Update update, long offset, long length) {
        double squaredNorm;
        try (PointerScope square = new PointerScope()) { // a temporary the size of the chunk, freed now
            squaredNorm = sum.mul(sum).sum().item_double();
        }
        double decay = update.alpha() * config.update().weightDecay();
        if (decay != 0) {
            m.mul_(new Scalar(1 - decay));
        }
        double pull = update.alpha() * config.anchorDecay();
        if (pull != 0) { // m += pull (base - m), as (1 - pull) m + pull base
            m.mul_(new Scalar(1 - pull)).add_(anchor.get(i).view(-1).narrow(0, offset, length), new Scalar(pull));
        }
        int n = update.populationSize();
        if (adam != null) {
            adam.step(i, offset, length, m, sum.div_(new Scalar((double) n)), update.alpha(),
                    (UpdateRule.Adam) config.update());
        } else {
            m.add_(sum, new Scalar(update.alpha() / n));
        }
        return squaredNorm;
    }

    /** The iteration's members are done with: their kept noise makes room for the next iteration's. */
    private void forgetNoise() {
        if (cache != null) {
            cache.clear();
        }
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
        return lastStepNorm;
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
        forgetNoise();
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
        forgetNoise();
    }

    /** The optimizer state to checkpoint (Adam moments by name and step count); empty for the plain rule. */
    public Map<String, Tensor> optimizerState() {
        return adam == null ? Map.of() : adam.export(names);
    }

    public long optimizerStep() {
        return adam == null ? 0 : adam.step;
    }

    /** Restores optimizer state written by {@link #optimizerState()}. */
    public void loadOptimizerState(Map<String, Tensor> state, long step) {
        if (adam != null) {
            adam.load(names, state, step);
        }
    }

    /** SHA-256 over the names, shapes and fp32 bytes of the master, in layout order. */
    public String masterHash() {
        return hash(names, master);
    }

    /** SHA-256 over the names, shapes and bytes of the working weights, in layout order. */
    public String workingHash() {
        return hash(names, working);
    }

    private static final long HASH_CHUNK = 1L << 30;

    /** SHA-256 over the names, shapes and bytes of {@code tensors}, in order: how weights are compared. */
    public static String hash(List<String> names, List<Tensor> tensors) {
        MessageDigest sha = Sha256.digest();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < names.size(); i++) {
                Tensor t = tensors.get(i).to(new org.bytedeco.pytorch.Device(torch.DeviceType.CPU),
                        tensors.get(i).scalar_type()).contiguous();
                sha.update(names.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(Arrays.toString(TensorData.shape(t)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                long bytes = t.nbytes();
                BytePointer data = new BytePointer(t.data_ptr()).capacity(bytes);
                for (long done = 0; done < bytes; done += HASH_CHUNK) { // a ByteBuffer holds at most 2 GiB
                    sha.update(data.position(done).limit(Math.min(bytes, done + HASH_CHUNK)).asBuffer());
                }
            }
        }
        return Sha256.hex(sha);
    }

    /** A contiguous view of the first numel elements of a flat buffer, shaped like {@code like}. */
    private static Tensor view(Tensor buffer, Tensor like) {
        return buffer.narrow(0, 0, like.numel()).view(like.sizes());
    }
}
