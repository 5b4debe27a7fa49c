package dev.esactors.core.es;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Adam's first and second moment estimates of the ES gradient, per selected parameter (beyond the paper). */
final class AdamState {

    private final Tensor[] m;
    private final Tensor[] v;
    long step;

    AdamState(List<Tensor> master, boolean[] selected) {
        m = new Tensor[master.size()];
        v = new Tensor[master.size()];
        for (int i = 0; i < m.length; i++) {
            if (selected[i]) {
                m[i] = torch.zeros_like(master.get(i));
                v[i] = torch.zeros_like(master.get(i));
            }
        }
    }

    /**
     * One Adam step of elements [offset, offset + length) of parameter i ({@code master}: that range of it, flat)
     * along gradient estimate g (which it may overwrite). Elementwise, so a range rounds as the whole tensor does.
     */
    void step(int i, long offset, long length, Tensor master, Tensor g, double alpha, UpdateRule.Adam rule) {
        Tensor mi = m[i].view(-1).narrow(0, offset, length);
        Tensor vi = v[i].view(-1).narrow(0, offset, length);
        mi.mul_(new Scalar(rule.beta1())).add_(g, new Scalar(1 - rule.beta1()));
        vi.mul_(new Scalar(rule.beta2())).addcmul_(g, g, new Scalar(1 - rule.beta2()));
        double mCorrection = 1 - Math.pow(rule.beta1(), step);
        double vCorrection = 1 - Math.pow(rule.beta2(), step);
        // master += alpha * (m / mCorrection) / (sqrt(v / vCorrection) + eps): ascent, since ES maximises reward
        Tensor denominator = vi.div(new Scalar(vCorrection)).sqrt().add_(new Scalar(rule.epsilon()));
        master.add_(mi.div(denominator), new Scalar(alpha / mCorrection));
    }

    Map<String, Tensor> export(List<String> names) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) {
            if (m[i] != null) {
                out.put("adam.m." + names.get(i), m[i]);
                out.put("adam.v." + names.get(i), v[i]);
            }
        }
        return out;
    }

    void load(List<String> names, Map<String, Tensor> state, long newStep) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] != null) {
                Tensor mi = state.get("adam.m." + names.get(i));
                Tensor vi = state.get("adam.v." + names.get(i));
                if (mi == null || vi == null) {
                    throw new IllegalArgumentException("checkpoint lacks Adam state of '" + names.get(i) + "'");
                }
                m[i].copy_(mi);
                v[i].copy_(vi);
            }
        }
        step = newStep;
    }
}
