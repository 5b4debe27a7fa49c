package dev.esactors.core.es.update;

import dev.esactors.core.optim.AdamMoments;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import java.util.List;
import java.util.Map;

/**
 * ES with Adam (beyond the paper): {@link AdamMoments} of the ES gradient estimate, per selected parameter, and the
 * ascent step built on them, computed per range of a parameter so that the master is updated in chunks.
 */
public final class AdamState {

    private final AdamMoments moments;

    /**
     * Over zero moments the replica allocated where its master lives (null for tensors it does not update): first
     * and second, one per parameter in layout order.
     */
    public AdamState(List<Tensor> first, List<Tensor> second) {
        this.moments = new AdamMoments(first, second, "ES's Adam");
    }

    /** Counts one more step (once per update, before its parameters are stepped). */
    public void advance() {
        moments.advance();
    }

    /** The steps taken: what bias correction is computed from, and what a checkpoint keeps. */
    public long steps() {
        return moments.steps();
    }

    /** Elements [offset, offset + length) of parameter i's first and second moments (flat views). */
    public Tensor[] moments(int i, long offset, long length) {
        return moments.ranges(i, offset, length);
    }

    /**
     * One Adam step of a range of a parameter ({@code master}, flat) along gradient estimate g (which it may
     * overwrite), with that range's moments ({@link #moments}, or copies of them on the device, which the caller
     * writes back). Elementwise, so a range rounds as the whole tensor does.
     */
    public void step(Tensor first, Tensor second, Tensor master, Tensor g, double alpha, UpdateRule.Adam rule) {
        AdamMoments.accumulate(first, second, g, rule.beta1(), rule.beta2());
        double mCorrection = moments.correction(rule.beta1());
        double vCorrection = moments.correction(rule.beta2());
        // master += alpha * (m / mCorrection) / (sqrt(v / vCorrection) + eps): ascent, since ES maximises reward
        Tensor denominator = second.div(new Scalar(vCorrection)).sqrt().add_(new Scalar(rule.epsilon()));
        master.add_(first.div(denominator), new Scalar(alpha / mCorrection));
    }

    /** The moments by parameter name, for a checkpoint. */
    public Map<String, Tensor> export(List<String> names) {
        return moments.export(names);
    }

    /** Restores the moments of {@link #export} and the step count. */
    public void load(List<String> names, Map<String, Tensor> state, long newStep) {
        moments.load(names, state, newStep);
    }
}
