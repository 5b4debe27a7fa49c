package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankPass;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.NoiseSource;
import dev.esactors.core.model.ParameterLayout;
import dev.esactors.core.torch.Scopes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.List;

/**
 * How an {@link EsReplica} perturbs: one member's noise written into the working weights (master + sigma x sign x
 * eps, drawn chunk by chunk or read from the members' kept noise), or several members' low-rank perturbations stacked
 * for one batched forward pass. Restoring is the replica's (a copy from the master).
 */
final class ReplicaPerturbation extends ReplicaPart {

    ReplicaPerturbation(EsConfig config, ReplicaTensors tensors) {
        super(config, tensors);
    }

    /**
     * Writes master + sigma x sign x eps(member seed) into every selected working tensor. In low-rank mode eps of a
     * matrix is A B^T / sqrt(r), written out in full: one member at a time, as the single-process loop needs.
     */
    void perturb(Member member) {
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
                    long[] ranges = staging.ranges(length); // one range unless the master is staged
                    for (int r = 0; r + 1 < ranges.length; r++) {
                        long at = ranges[r];
                        long n = ranges[r + 1] - at;
                        Tensor e = eps.narrow(0, at, n);
                        Tensor mc = staging.in(MasterStaging.MASTER, flat.narrow(0, offset + at, n));
                        Tensor wc = w.narrow(0, offset + at, n);
                        if (wc.scalar_type() == mc.scalar_type()) {
                            // an fp32 working copy takes sigma * sign * eps + master straight: the same two
                            // roundings as below, one pass over the tensor fewer
                            torch.mul_out(wc, e, new Scalar(scale)).add_(mc);
                        } else {
                            // master + sigma * sign * eps in fp32 (in the scratch buffer, so that kept noise stays
                            // noise), then cast once into the working dtype
                            Tensor sum = slot >= 0 ? noiseBuffer.narrow(0, at, n) : e;
                            wc.copy_(torch.mul_out(sum, e, new Scalar(scale)).add_(mc));
                        }
                    }
                }
            }
            if (draw && slot >= 0) {
                cache.commit(slot, member.seed()); // only now: a failure above leaves no half-drawn member
            }
        }
    }

    /**
     * The low-rank perturbations of {@code members}, stacked for one batched forward pass (see {@link LowRankPass});
     * the weights are not touched. Low-rank mode only. The caller closes the pass.
     */
    LowRankPass lowRankPass(List<Member> members) {
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
                        long vocab = master.get(i).size(0);
                        Tensor rows = Scopes.keep(scope,
                                aT.transpose(1, 2).reshape(m * vocab, lowRank.rank()).contiguous());
                        Tensor offsets = Scopes.keep(scope, torch.arange(new Scalar(0L), new Scalar(m * vocab),
                                new Scalar(vocab), new TensorOptions(ScalarType.Long).device(
                                        new org.bytedeco.pytorch.DeviceOptional(device)))
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

    /** A contiguous view of the first numel elements of a flat buffer, shaped like {@code like}. */
    private static Tensor view(Tensor buffer, Tensor like) {
        return buffer.narrow(0, 0, like.numel()).view(like.sizes());
    }
}
