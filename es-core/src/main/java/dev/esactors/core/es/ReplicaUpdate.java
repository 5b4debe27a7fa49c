package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankNoise;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.NoiseSource;
import dev.esactors.core.es.update.AdamState;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * How an {@link EsReplica} applies an update: each selected tensor's sum_n c_n sign_n eps_n (full rank: drawn again
 * or read from the kept noise, chunk by chunk; low rank: from the factors), then the update rule (weight decay, the
 * anchor's pull toward the base weights, plain or Adam) on the master, and the working copy refreshed from it.
 */
final class ReplicaUpdate extends ReplicaPart {

    private final AdamState adam;
    /** The base weights of the selected tensors (null for others, and when there is no anchor decay). */
    private final List<Tensor> anchor;
    private double lastStepNorm = Double.NaN;

    /** The update of a replica at its base weights (the anchor, when there is one, is a copy of them). */
    ReplicaUpdate(EsConfig config, ReplicaTensors tensors) {
        super(config, tensors);
        this.adam = config.update() instanceof UpdateRule.Adam ? adamState(tensors.memory()) : null;
        this.anchor = config.anchorDecay() == 0 ? null : anchorCopy(tensors.memory());
    }

    /** Zero Adam moments of the selected tensors, kept where the master is. */
    private AdamState adamState(MasterMemory memory) {
        List<long[]> shapes = master.stream().map(TensorData::shape).toList();
        return new AdamState(memory.zeros("adam first moments", shapes, selected, master.get(0).device()),
                memory.zeros("adam second moments", shapes, selected, master.get(0).device()));
    }

    /** The selected tensors' base weights, kept where the master is. */
    private List<Tensor> anchorCopy(MasterMemory memory) {
        List<Tensor> copies = memory.zeros("anchor", master.stream().map(TensorData::shape).toList(), selected,
                master.get(0).device());
        for (int i = 0; i < names.size(); i++) {
            if (selected[i]) {
                copies.get(i).copy_(master.get(i));
            }
        }
        return Collections.unmodifiableList(copies);
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
            // on the device, where the noise is (the master may be staged from elsewhere)
            sums.add(selected[i] ? torch.zeros(TensorData.shape(master.get(i)), new TensorOptions(ScalarType.Float)
                    .device(new DeviceOptional(device))) : null);
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

    /**
     * Applies {@code update}: for each selected tensor, sums coefficient x sign x eps over the members in member
     * order in fp32, moves the master by the update rule, and refreshes the working copy from the master. A
     * {@link Update#skipped} update changes nothing.
     */
    void apply(Update update) {
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
            adam.advance();
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
                        squaredNorm += step(i, m.narrow(0, offset, length), w.narrow(0, offset, length), sum, update,
                                offset);
                    }
                }
            }
        }
        lastStepNorm = update.alpha() / n * Math.sqrt(squaredNorm);
        forgetNoise();
    }

    /**
     * Moves elements [offset, offset + length) of master i ({@code m}, that range) by the update rule along
     * {@code sum} (which it may overwrite) and refreshes that range of the working copy ({@code w}) from it; returns
     * sum's squared norm. A staged master moves range by range on the device.
     */
    private double step(int i, Tensor m, Tensor w, Tensor sum, Update update, long offset) {
        double squaredNorm;
        try (PointerScope square = new PointerScope()) { // a temporary the size of the chunk, freed now
            squaredNorm = sum.mul(sum).sum().item_double();
        }
        double decay = update.alpha() * config.update().weightDecay();
        double pull = update.alpha() * config.anchorDecay();
        int n = update.populationSize();
        long[] ranges = staging.ranges(m.numel());
        for (int r = 0; r + 1 < ranges.length; r++) {
            long at = ranges[r];
            long length = ranges[r + 1] - at;
            Tensor s = sum.narrow(0, at, length);
            Tensor mr = staging.in(MasterStaging.MASTER, m.narrow(0, at, length));
            if (decay != 0) {
                mr.mul_(new Scalar(1 - decay));
            }
            if (pull != 0) { // m += pull (base - m), as (1 - pull) m + pull base
                Tensor base = staging.in(MasterStaging.ANCHOR, anchor.get(i).view(-1).narrow(0, offset + at, length));
                mr.mul_(new Scalar(1 - pull)).add_(base, new Scalar(pull));
            }
            if (adam != null) {
                Tensor[] moments = adam.moments(i, offset + at, length);
                Tensor first = staging.in(MasterStaging.FIRST_MOMENT, moments[0]);
                Tensor second = staging.in(MasterStaging.SECOND_MOMENT, moments[1]);
                adam.step(first, second, mr, s.div_(new Scalar((double) n)), update.alpha(),
                        (UpdateRule.Adam) config.update());
                staging.out(moments[0], first);
                staging.out(moments[1], second);
            } else {
                mr.add_(s, new Scalar(update.alpha() / n));
            }
            w.narrow(0, at, length).copy_(mr);
            staging.out(m.narrow(0, at, length), mr);
        }
        return squaredNorm;
    }

    /** The iteration's members are done with: their kept noise makes room for the next iteration's. */
    void forgetNoise() {
        if (cache != null) {
            cache.clear();
        }
    }

    /** The L2 norm of the last applied ES step (see {@link EsReplica#lastStepNorm}). */
    double lastStepNorm() {
        return lastStepNorm;
    }

    Map<String, Tensor> optimizerState() {
        return adam == null ? Map.of() : adam.export(names);
    }

    long optimizerStep() {
        return adam == null ? 0 : adam.steps();
    }

    void loadOptimizerState(Map<String, Tensor> state, long step) {
        if (adam != null) {
            adam.load(names, state, step);
        }
    }
}
