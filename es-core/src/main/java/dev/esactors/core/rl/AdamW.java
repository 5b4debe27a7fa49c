package dev.esactors.core.rl;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) over a list of parameters, written with LibTorch ops in the order LibTorch's own
 * {@code torch::optim::AdamW} uses (decoupled decay, then the moments, then the bias-corrected step), so that its
 * state can be checkpointed: the JavaCPP binding gives no access to LibTorch's optimizer state. {@code AdamWTest}
 * checks it step for step against LibTorch's.
 *
 * @see <a href="https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html">torch.optim.AdamW</a>
 */
public final class AdamW {

    private final List<Tensor> parameters;
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Tensor[] m;
    private final Tensor[] v;
    private long step;

    /** An optimizer of {@code parameters} (which must require grad) with zero moments. */
    public AdamW(List<Tensor> parameters, double learningRate, double beta1, double beta2, double epsilon,
                 double weightDecay) {
        this.parameters = List.copyOf(parameters);
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.m = new Tensor[parameters.size()];
        this.v = new Tensor[parameters.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = torch.zeros_like(parameters.get(i).detach());
            v[i] = torch.zeros_like(parameters.get(i).detach());
        }
    }

    /** Steps taken so far. */
    public long step() {
        return step;
    }

    /** Clears the parameters' gradients. */
    public void zeroGrad() {
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g.defined()) {
                g.zero_();
            }
        }
    }

    /** One step along the parameters' gradients (parameters without one are left alone). */
    public void update() {
        step++;
        double bias1 = 1 - Math.pow(beta1, step);
        double bias2 = 1 - Math.pow(beta2, step);
        double stepSize = learningRate / bias1;
        for (int i = 0; i < parameters.size(); i++) {
            Tensor g = parameters.get(i).grad();
            if (!g.defined()) {
                continue;
            }
            Tensor p = parameters.get(i).detach(); // in place on the leaf's data, outside autograd
            p.mul_(new Scalar(1 - learningRate * weightDecay));
            m[i].mul_(new Scalar(beta1)).add_(g, new Scalar(1 - beta1));
            v[i].mul_(new Scalar(beta2)).addcmul_(g, g, new Scalar(1 - beta2));
            Tensor denominator = v[i].sqrt().div_(new Scalar(Math.sqrt(bias2))).add_(new Scalar(epsilon));
            p.addcdiv_(m[i], denominator, new Scalar(-stepSize));
        }
    }

    /**
     * The moments by parameter name ({@code names} in the order of the parameters), for a checkpoint: named
     * {@code adam.m.*} and {@code adam.v.*}, as {@link dev.esactors.core.es.CheckpointStore} keeps optimizer state.
     */
    public Map<String, Tensor> state(List<String> names) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) {
            out.put("adam.m." + names.get(i), m[i]);
            out.put("adam.v." + names.get(i), v[i]);
        }
        return out;
    }

    /** Restores the moments of {@link #state} and the step count. */
    public void load(List<String> names, Map<String, Tensor> state, long steps) {
        for (int i = 0; i < m.length; i++) {
            Tensor mi = state.get("adam.m." + names.get(i));
            Tensor vi = state.get("adam.v." + names.get(i));
            if (mi == null || vi == null) {
                throw new IllegalArgumentException("the checkpoint lacks AdamW's moments of '" + names.get(i) + "'");
            }
            m[i].copy_(mi);
            v[i].copy_(vi);
        }
        step = steps;
    }
}
