package dev.esactors.train.eval;

import dev.esactors.core.io.WeightFiles;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * How far the weights moved from the base model, per group of tensors: ||w - w0|| / ||w0|| over the group's
 * tensors together. The base weights are read from the model files one tensor at a time (no second copy of the
 * model is held; the page cache makes later reads cheap).
 */
public final class WeightDrift {

    /** Tensor groups by what they do. */
    public enum Group {
        EMBEDDINGS, ATTENTION, MLP, NORMS, OTHER;

        /** The group of parameter {@code name} (Hugging Face Llama/Qwen2 names). */
        public static Group of(String name) {
            if (name.contains("embed_tokens") || name.startsWith("lm_head")) {
                return EMBEDDINGS;
            }
            if (name.contains("norm")) {
                return NORMS;
            }
            if (name.contains("self_attn")) {
                return ATTENTION;
            }
            return name.contains(".mlp.") ? MLP : OTHER;
        }

        /** The label metrics and tables use. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Masters up to this size have their drift measured after every iteration; larger ones at held-out rounds. */
    public static final long EVERY_ITERATION_BYTES = 1L << 30;

    private WeightDrift() {
    }

    /**
     * Whether measuring after every iteration is cheap enough: each measurement reads the whole base model from its
     * files (the page cache, after the first time) and compares it with the master, in the coordinator's thread.
     */
    public static boolean everyIteration(Map<String, Tensor> weights) {
        long bytes = 0;
        for (Tensor t : weights.values()) {
            bytes += t.numel() * t.element_size();
        }
        return bytes <= EVERY_ITERATION_BYTES;
    }

    /** {@link #measure}, keyed by the groups' labels (as metrics, tables and held-out.txt name them). */
    public static Map<String, Double> byLabel(Path baseDir, Map<String, Tensor> weights) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        measure(baseDir, weights).forEach((g, v) -> out.put(g.label(), v));
        return out;
    }

    /**
     * Relative drift of {@code weights} (fp32, by parameter name) from the base model in {@code baseDir}, for each
     * group that has tensors; names the base files lack are left out.
     */
    public static Map<Group, Double> measure(Path baseDir, Map<String, Tensor> weights) {
        Map<Group, double[]> sums = new EnumMap<>(Group.class); // {||w - w0||^2, ||w0||^2}
        try (WeightFiles base = WeightFiles.open(baseDir)) {
            for (Map.Entry<String, Tensor> e : weights.entrySet()) {
                if (!base.contains(e.getKey())) {
                    continue;
                }
                try (PointerScope scope = new PointerScope()) {
                    Tensor w = e.getValue();
                    Tensor w0 = base.load(e.getKey()).to(w.device(), torch.ScalarType.Float);
                    double[] s = sums.computeIfAbsent(Group.of(e.getKey()), g -> new double[2]);
                    s[0] += torch.sub(w, w0).square().sum().item_double();
                    s[1] += w0.square().sum().item_double();
                }
            }
        }
        Map<Group, Double> out = new EnumMap<>(Group.class);
        sums.forEach((g, s) -> out.put(g, s[1] == 0 ? Math.sqrt(s[0]) : Math.sqrt(s[0] / s[1])));
        return out;
    }
}
