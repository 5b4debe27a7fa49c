package dev.esactors.core.optim;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam's two moment estimates and its step count, per parameter: the part of Adam that ES's Adam (ascent on the ES
 * gradient estimate, {@code AdamState}) and GRPO's AdamW (descent on autograd's gradient, {@code AdamW}) share
 * exactly, state and checkpoint layout included. The steps built on them differ on purpose: AdamW follows LibTorch's
 * order of operations (checked against it by AdamWTest), ES's Adam its own rounding, which every ES run made with
 * es.update = adam is journalled and hashed under; one formula for both would change one of those.
 */
public final class AdamMoments {

    private final Tensor[] m;
    private final Tensor[] v;
    private final String owner;
    private long step;

    /**
     * Zero moments shaped like each of {@code parameters} where {@code kept} is true (none elsewhere); {@code owner}
     * names the optimizer in errors.
     */
    public AdamMoments(List<Tensor> parameters, boolean[] kept, String owner) {
        this(zeros(parameters, kept), zeros(parameters, kept), owner);
    }

    /** Over zero moments allocated by the caller (null where a parameter has none), e.g. in a mapped file. */
    public AdamMoments(List<Tensor> m, List<Tensor> v, String owner) {
        if (m.size() != v.size()) {
            throw new IllegalArgumentException("first and second moments of different parameters");
        }
        this.owner = owner;
        this.m = m.toArray(new Tensor[0]);
        this.v = v.toArray(new Tensor[0]);
    }

    private static List<Tensor> zeros(List<Tensor> parameters, boolean[] kept) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            out.add(kept[i] ? torch.zeros_like(parameters.get(i).detach()) : null);
        }
        return out;
    }

    /** Counts one more step (before the moments are updated for it): bias correction is computed from it. */
    public void advance() {
        step++;
    }

    /** Steps taken so far. */
    public long steps() {
        return step;
    }

    /** 1 - beta^t: the bias correction of a moment after {@link #steps} steps. */
    public double correction(double beta) {
        return 1 - Math.pow(beta, step);
    }

    /** Elements [offset, offset + length) of parameter i's m and v (flat views). */
    public Tensor[] ranges(int i, long offset, long length) {
        return new Tensor[] {m[i].view(-1).narrow(0, offset, length), v[i].view(-1).narrow(0, offset, length)};
    }

    /** m = beta1 m + (1 - beta1) g and v = beta2 v + (1 - beta2) g^2 on the whole of parameter i, in its shape. */
    public Tensor[] accumulate(int i, Tensor g, double beta1, double beta2) {
        accumulate(m[i], v[i], g, beta1, beta2);
        return new Tensor[] {m[i], v[i]};
    }

    /** m = beta1 m + (1 - beta1) g and v = beta2 v + (1 - beta2) g^2, in place (any range of any parameter's). */
    public static void accumulate(Tensor m, Tensor v, Tensor g, double beta1, double beta2) {
        m.mul_(new Scalar(beta1)).add_(g, new Scalar(1 - beta1));
        v.mul_(new Scalar(beta2)).addcmul_(g, g, new Scalar(1 - beta2));
    }

    /** The moments by parameter name, for a checkpoint: {@code adam.m.NAME} and {@code adam.v.NAME}. */
    public Map<String, Tensor> export(List<String> names) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) {
            if (m[i] != null) {
                out.put("adam.m." + names.get(i), m[i]);
                out.put("adam.v." + names.get(i), v[i]);
            }
        }
        return out;
    }

    /** Restores the moments of {@link #export} and the step count; a missing moment is an error naming it. */
    public void load(List<String> names, Map<String, Tensor> state, long steps) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] != null) {
                Tensor mi = state.get("adam.m." + names.get(i));
                Tensor vi = state.get("adam.v." + names.get(i));
                if (mi == null || vi == null) {
                    throw new IllegalArgumentException("the checkpoint lacks " + owner + "'s moments of '"
                            + names.get(i) + "'");
                }
                m[i].copy_(mi);
                v[i].copy_(vi);
            }
        }
        step = steps;
    }
}
