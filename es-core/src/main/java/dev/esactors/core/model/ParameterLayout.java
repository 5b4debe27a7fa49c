package dev.esactors.core.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The parameters a decoder of a given {@link ModelConfig} has, by their Hugging Face names, in one canonical
 * order (embedding, layer by layer, final norm, output head). Loading, random initialisation and ES noise
 * all walk this list, so a tensor's index here is stable across processes.
 */
public final class ParameterLayout {

    /** One parameter: its Hugging Face name and shape. */
    public record Spec(String name, long[] shape) {
        public Spec {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public boolean isNorm() {
            return name.endsWith("layernorm.weight") || name.equals("model.norm.weight");
        }

        public boolean isBias() {
            return name.endsWith(".bias");
        }
    }

    public static final String EMBED = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    private ParameterLayout() {
    }

    /** The name of a per-layer parameter, e.g. {@code layer(3, "self_attn.q_proj.weight")}. */
    public static String layer(int index, String suffix) {
        return "model.layers." + index + "." + suffix;
    }

    /** All parameters of {@code c}; a tied output head is not listed (it is the embedding). */
    public static List<Spec> of(ModelConfig c) {
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long ff = c.intermediateSize();
        List<Spec> specs = new ArrayList<>();
        specs.add(new Spec(EMBED, new long[] {c.vocabSize(), d}));
        for (int i = 0; i < c.numLayers(); i++) {
            specs.add(new Spec(layer(i, "input_layernorm.weight"), new long[] {d}));
            linear(specs, layer(i, "self_attn.q_proj"), q, d, c.qkvBias());
            linear(specs, layer(i, "self_attn.k_proj"), kv, d, c.qkvBias());
            linear(specs, layer(i, "self_attn.v_proj"), kv, d, c.qkvBias());
            linear(specs, layer(i, "self_attn.o_proj"), d, q, c.outputBias());
            specs.add(new Spec(layer(i, "post_attention_layernorm.weight"), new long[] {d}));
            linear(specs, layer(i, "mlp.gate_proj"), ff, d, c.mlpBias());
            linear(specs, layer(i, "mlp.up_proj"), ff, d, c.mlpBias());
            linear(specs, layer(i, "mlp.down_proj"), d, ff, c.mlpBias());
        }
        specs.add(new Spec(FINAL_NORM, new long[] {d}));
        if (!c.tieWordEmbeddings()) {
            specs.add(new Spec(LM_HEAD, new long[] {c.vocabSize(), d}));
        }
        return Collections.unmodifiableList(specs);
    }

    /** A projection {@code name}.weight (out, in), followed by {@code name}.bias (out) when it has one. */
    private static void linear(List<Spec> specs, String name, long out, long in, boolean bias) {
        specs.add(new Spec(name + ".weight", new long[] {out, in}));
        if (bias) {
            specs.add(new Spec(name + ".bias", new long[] {out}));
        }
    }
}
