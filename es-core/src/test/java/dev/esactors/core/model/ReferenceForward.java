package dev.esactors.core.model;

import java.util.Map;

/**
 * An independent forward pass of a Llama/Qwen2 decoder in plain Java, with naive loops in double precision and
 * Hugging Face semantics (rotate-half RoPE, GQA by head index, RMSNorm, SwiGLU). Written separately from
 * {@link Decoder}: it shares no code with it, only the tensor names and the config.
 */
final class ReferenceForward {

    private final ModelConfig c;
    private final Map<String, float[]> w;

    ReferenceForward(ModelConfig config, Map<String, float[]> weights) {
        this.c = config;
        this.w = weights;
    }

    /** Logits [T][V] for every position of {@code ids}. */
    double[][] logits(int[] ids) {
        int t = ids.length;
        int d = c.hiddenSize();
        int hd = c.headDim();
        double[][] x = new double[t][d];
        float[] embed = w.get("model.embed_tokens.weight");
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < d; i++) {
                x[p][i] = embed[ids[p] * d + i];
            }
        }
        for (int l = 0; l < c.numLayers(); l++) {
            String pre = "model.layers." + l + ".";
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int p = 0; p < t; p++) {
                double[] h = rmsNorm(x[p], w.get(pre + "input_layernorm.weight"));
                q[p] = rope(linear(h, pre + "self_attn.q_proj"), c.numHeads(), p);
                k[p] = rope(linear(h, pre + "self_attn.k_proj"), c.numKvHeads(), p);
                v[p] = linear(h, pre + "self_attn.v_proj");
            }
            for (int p = 0; p < t; p++) {
                double[] attn = new double[c.numHeads() * hd];
                for (int head = 0; head < c.numHeads(); head++) {
                    int kvHead = head / (c.numHeads() / c.numKvHeads());
                    double[] scores = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= p; j++) {
                        double s = 0;
                        for (int i = 0; i < hd; i++) {
                            s += q[p][head * hd + i] * k[j][kvHead * hd + i];
                        }
                        scores[j] = s / Math.sqrt(hd);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= p; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= p; j++) {
                        for (int i = 0; i < hd; i++) {
                            attn[head * hd + i] += scores[j] / sum * v[j][kvHead * hd + i];
                        }
                    }
                }
                double[] o = linear(attn, pre + "self_attn.o_proj");
                for (int i = 0; i < d; i++) {
                    x[p][i] += o[i];
                }
                double[] h = rmsNorm(x[p], w.get(pre + "post_attention_layernorm.weight"));
                double[] gate = linear(h, pre + "mlp.gate_proj");
                double[] up = linear(h, pre + "mlp.up_proj");
                double[] act = new double[gate.length];
                for (int i = 0; i < act.length; i++) {
                    act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = linear(act, pre + "mlp.down_proj");
                for (int i = 0; i < d; i++) {
                    x[p][i] += down[i];
                }
            }
        }
        String head = c.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head";
        double[][] out = new double[t][];
        for (int p = 0; p < t; p++) {
            out[p] = linear(rmsNorm(x[p], w.get("model.norm.weight")), head);
        }
        return out;
    }

    /** y = W x + b for W stored row-major as [out][in] under {@code name}.weight, b under {@code name}.bias if any. */
    private double[] linear(double[] in, String name) {
        float[] weight = w.get(name + ".weight");
        float[] bias = w.get(name + ".bias");
        int outs = weight.length / in.length;
        double[] y = new double[outs];
        for (int o = 0; o < outs; o++) {
            double s = bias == null ? 0 : bias[o];
            for (int i = 0; i < in.length; i++) {
                s += weight[o * in.length + i] * in[i];
            }
            y[o] = s;
        }
        return y;
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        double scale = 1 / Math.sqrt(ms / x.length + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * weight[i];
        }
        return y;
    }

    /** Rotate-half RoPE of every head of {@code x} at position {@code pos}. */
    private double[] rope(double[] x, int heads, int pos) {
        int hd = c.headDim();
        int half = hd / 2;
        double[] y = new double[x.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double angle = pos / Math.pow(c.rope().theta(), 2.0 * i / hd);
                double cos = Math.cos(angle);
                double sin = Math.sin(angle);
                double a = x[h * hd + i];
                double b = x[h * hd + half + i];
                y[h * hd + i] = a * cos - b * sin;
                y[h * hd + half + i] = b * cos + a * sin;
            }
        }
        return y;
    }
}
