package dev.esactors.core.es;

import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** On f(theta) = -|theta - target|^2 over a few small tensors, the ES update follows the true gradient. */
class QuadraticObjectiveTest {

    private static final long[][] SHAPES = {{10}, {4, 5}, {3}};

    @TempDir
    Path dir;

    private record Problem(Map<String, Tensor> working, EsReplica replica, float[][] target) {

        /** f = -sum of squared distances of the working tensors to the target. */
        double objective() {
            double sum = 0;
            int k = 0;
            for (Tensor t : working.values()) {
                float[] w = TensorData.toFloats(t);
                for (int i = 0; i < w.length; i++) {
                    sum += Math.pow(w[i] - target[k][i], 2);
                }
                k++;
            }
            return -sum;
        }

        /** theta of the master, flattened. */
        double[] master() {
            List<Double> out = new ArrayList<>();
            for (Tensor t : replica.master().values()) {
                for (float f : TensorData.toFloats(t)) {
                    out.add((double) f);
                }
            }
            return out.stream().mapToDouble(Double::doubleValue).toArray();
        }

        double[] gradient() {
            double[] theta = master();
            double[] g = new double[theta.length];
            int at = 0;
            for (float[] tg : target) {
                for (float v : tg) {
                    g[at] = -2 * (theta[at] - v);
                    at++;
                }
            }
            return g;
        }

        double distance() {
            double[] g = gradient();
            double s = 0;
            for (double v : g) {
                s += v * v / 4;
            }
            return Math.sqrt(s);
        }
    }

    private static Problem problem(EsConfig config) {
        Random random = new Random(17);
        Map<String, Tensor> master = new LinkedHashMap<>();
        Map<String, Tensor> working = new LinkedHashMap<>();
        float[][] target = new float[SHAPES.length][];
        for (int k = 0; k < SHAPES.length; k++) {
            int n = (int) (SHAPES[k].length == 1 ? SHAPES[k][0] : SHAPES[k][0] * SHAPES[k][1]);
            float[] start = new float[n];
            target[k] = new float[n];
            for (int i = 0; i < n; i++) {
                start[i] = (float) random.nextGaussian();
                target[k][i] = (float) random.nextGaussian();
            }
            master.put("p" + k, TensorData.floats(start, SHAPES[k]));
            working.put("p" + k, TensorData.floats(start, SHAPES[k]));
        }
        return new Problem(working, new EsReplica(config, master, working), target);
    }

    @Test
    void updateWithALargePopulationPointsAlongTheTrueGradient() {
        EsConfig config = EsConfig.paper(1).withPopulation(2000, 1e-3, 1e-2);
        Problem p = problem(config);
        double[] before = p.master();
        double[] gradient = p.gradient();
        try (EsTrainer t = new EsTrainer(p.replica(), (i, m) -> p.objective(), dir, "quadratic", 0, 1, s -> { })) {
            t.step();
        }
        double[] after = p.master();
        double dot = 0;
        double a = 0;
        double b = 0;
        for (int i = 0; i < before.length; i++) {
            double update = after[i] - before[i];
            dot += update * gradient[i];
            a += update * update;
            b += gradient[i] * gradient[i];
        }
        double cosine = dot / Math.sqrt(a * b);
        assertTrue(cosine > 0.9, "cosine(ES update, true gradient) = " + cosine);
    }

    @Test
    void runConvergesTowardTheOptimum() {
        EsConfig config = EsConfig.paper(2).withPopulation(40, 0.02, 0.1);
        Problem p = problem(config);
        double start = p.distance();
        try (EsTrainer t = new EsTrainer(p.replica(), (i, m) -> p.objective(), dir, "quadratic", 0, 1, s -> { })) {
            t.runUntil(150);
        }
        double end = p.distance();
        assertTrue(end < 0.2 * start, "distance to the optimum went from " + start + " to " + end);
    }

    @Test
    void antitheticAndRankShapingAlsoFollowTheGradient() {
        // Centered ranks lie in [-0.5, 0.5] (std ~0.29 against the z-score's 1): a larger alpha for the same pace.
        EsConfig config = EsConfig.paper(3).withPopulation(40, 0.02, 0.35)
                .withShaping(FitnessShaping.CENTERED_RANKS, true);
        Problem p = problem(config);
        double start = p.distance();
        try (EsTrainer t = new EsTrainer(p.replica(), (i, m) -> p.objective(), dir, "quadratic", 0, 1, s -> { })) {
            t.runUntil(150);
        }
        assertTrue(p.distance() < 0.3 * start, "distance went from " + start + " to " + p.distance());
    }

    @Test
    void adamUpdateConvergesToo() {
        EsConfig config = EsConfig.paper(4).withPopulation(40, 0.02, 0.05)
                .withUpdate(new UpdateRule.Adam(0.9, 0.999, 1e-8, 0));
        Problem p = problem(config);
        double start = p.distance();
        try (EsTrainer t = new EsTrainer(p.replica(), (i, m) -> p.objective(), dir, "quadratic", 0, 1, s -> { })) {
            t.runUntil(150);
        }
        assertTrue(p.distance() < 0.3 * start, "distance went from " + start + " to " + p.distance());
    }
}
