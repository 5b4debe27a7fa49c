package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one decoder for the Llama and Qwen2 families, in LibTorch ops: RMSNorm, rotary attention with grouped
 * key/value heads and a KV cache, SwiGLU MLP, and a tied or separate output head. Which family it runs is a
 * matter of {@link ModelConfig} flags (q/k/v biases, GQA, RoPE theta), not of code paths.
 *
 * <p>The parameters are held by name; in-place changes to them (ES perturbations) are seen by the next forward.
 */
public final class Decoder {

    /** Per-layer parameters, looked up once by their Hugging Face names. */
    private record Layer(Tensor inputNorm, Tensor q, TensorOptional qBias, Tensor k, TensorOptional kBias, Tensor v,
                         TensorOptional vBias, Tensor o, TensorOptional oBias, Tensor postNorm, Tensor gate,
                         TensorOptional gateBias, Tensor up, TensorOptional upBias, Tensor down,
                         TensorOptional downBias) {
    }

    private final ModelConfig config;
    private final Map<String, Tensor> parameters;
    private final Device device;
    private final DType dtype;
    private final Tensor embed;
    private final List<Layer> layers;
    private final Tensor finalNorm;
    private final Tensor lmHead;
    private final RotaryEmbedding rope;
    private final long[] normShape;

    /**
     * Wraps {@code parameters} (every tensor of {@link ParameterLayout#of}, all on one device and in one floating
     * dtype). The map is kept, not copied: its tensors are the model.
     */
    public Decoder(ModelConfig config, Map<String, Tensor> parameters) {
        this.config = config;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.embed = require(ParameterLayout.EMBED);
        this.device = embed.device();
        this.dtype = DType.of(embed.scalar_type());
        for (ParameterLayout.Spec spec : ParameterLayout.of(config)) {
            Tensor t = require(spec.name());
            if (DType.of(t.scalar_type()) != dtype || !t.device().equals(device)) {
                throw new IllegalArgumentException("parameter '" + spec.name() + "' is " + DType.of(t.scalar_type())
                        + " on " + t.device().str().getString() + ", the embedding is " + dtype + " on "
                        + device.str().getString());
            }
        }
        List<Layer> list = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            list.add(new Layer(
                    layer(i, "input_layernorm.weight"),
                    layer(i, "self_attn.q_proj.weight"), bias(i, "self_attn.q_proj.bias"),
                    layer(i, "self_attn.k_proj.weight"), bias(i, "self_attn.k_proj.bias"),
                    layer(i, "self_attn.v_proj.weight"), bias(i, "self_attn.v_proj.bias"),
                    layer(i, "self_attn.o_proj.weight"), bias(i, "self_attn.o_proj.bias"),
                    layer(i, "post_attention_layernorm.weight"),
                    layer(i, "mlp.gate_proj.weight"), bias(i, "mlp.gate_proj.bias"),
                    layer(i, "mlp.up_proj.weight"), bias(i, "mlp.up_proj.bias"),
                    layer(i, "mlp.down_proj.weight"), bias(i, "mlp.down_proj.bias")));
        }
        this.layers = List.copyOf(list);
        this.finalNorm = require(ParameterLayout.FINAL_NORM);
        // Tied embeddings: the output head is the input embedding matrix itself (one tensor, one update).
        this.lmHead = config.tieWordEmbeddings() ? embed : require(ParameterLayout.LM_HEAD);
        this.rope = new RotaryEmbedding(config, device, dtype.scalarType());
        this.normShape = new long[] {config.hiddenSize()};
    }

    public ModelConfig config() {
        return config;
    }

    /** The parameters by Hugging Face name, in {@link ParameterLayout} order. */
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    public Device device() {
        return device;
    }

    public DType dtype() {
        return dtype;
    }

    /** A cache for {@code batch} sequences of up to {@code capacity} positions, on this model's device and dtype. */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(config, batch, capacity, device, dtype.scalarType());
    }

    /**
     * Runs {@code ids} (B, T) at {@code positions} (B, T) through the decoder, attending to the cached slots and
     * to themselves under the additive {@code mask} (B, 1, T, S) with S = cache.length() + T, and appends their
     * keys and values to {@code cache}. Returns the final-normed hidden states (B, T, D).
     */
    public Tensor forward(Tensor ids, Tensor positions, long maxPosition, Tensor mask, KvCache cache) {
        long b = ids.size(0);
        long t = ids.size(1);
        Tensor[] cosSin = rope.at(positions, maxPosition);
        Tensor x = torch.embedding(embed, ids); // (B, T, D)
        TensorOptional attnMask = new TensorOptional(mask);
        for (int l = 0; l < layers.size(); l++) {
            Layer layer = layers.get(l);
            Tensor h = rmsNorm(x, layer.inputNorm());
            x = x.add(attention(l, layer, h, cosSin, attnMask, cache, b, t));
            h = rmsNorm(x, layer.postNorm());
            x = x.add(mlp(layer, h));
        }
        cache.advance((int) t);
        return rmsNorm(x, finalNorm);
    }

    /**
     * Logits (T, V), float32 on the CPU, at every position of one sequence, computed in a single causal pass
     * over the whole sequence (no cache reuse): the reference that cached decoding must agree with.
     */
    public Tensor sequenceLogits(int[] ids) {
        int t = ids.length;
        long[] tokens = new long[t];
        long[] positions = new long[t];
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            tokens[i] = ids[i];
            positions[i] = i;
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        Tensor hidden = forward(
                TensorData.longs(tokens, 1, t).to(device, ScalarType.Long),
                TensorData.longs(positions, 1, t).to(device, ScalarType.Long),
                t - 1,
                TensorData.floats(mask, 1, 1, t, t).to(device, dtype.scalarType()),
                newCache(1, t));
        return logits(hidden).squeeze(0).to(new Device(torch.DeviceType.CPU), ScalarType.Float);
    }

    /** Output logits (B, T, V) of final-normed hidden states (B, T, D). */
    public Tensor logits(Tensor hidden) {
        return torch.linear(hidden, lmHead);
    }

    private Tensor attention(int index, Layer layer, Tensor h, Tensor[] cosSin, TensorOptional mask, KvCache cache,
                             long b, long t) {
        long hd = config.headDim();
        Tensor q = torch.linear(h, layer.q(), layer.qBias()).view(b, t, config.numHeads(), hd).transpose(1, 2);
        Tensor k = torch.linear(h, layer.k(), layer.kBias()).view(b, t, config.numKvHeads(), hd).transpose(1, 2);
        Tensor v = torch.linear(h, layer.v(), layer.vBias()).view(b, t, config.numKvHeads(), hd).transpose(1, 2);
        // q (B, nHeads, T, hd); k, v (B, nKvHeads, T, hd)
        q = RotaryEmbedding.apply(q, cosSin[0], cosSin[1]);
        k = RotaryEmbedding.apply(k, cosSin[0], cosSin[1]);
        Tensor[] kv = cache.append(index, k, v); // each (B, nKvHeads, S, hd)
        Tensor out = torch.scaled_dot_product_attention(q, kv[0], kv[1], mask, 0.0, false, new DoubleOptional(),
                config.numKvHeads() != config.numHeads()); // (B, nHeads, T, hd)
        out = out.transpose(1, 2).reshape(b, t, (long) config.numHeads() * hd); // (B, T, nHeads * hd)
        return torch.linear(out, layer.o(), layer.oBias());
    }

    private Tensor mlp(Layer layer, Tensor h) {
        Tensor gate = torch.silu(torch.linear(h, layer.gate(), layer.gateBias())); // (B, T, F)
        Tensor up = torch.linear(h, layer.up(), layer.upBias());
        return torch.linear(gate.mul(up), layer.down(), layer.downBias()); // (B, T, D)
    }

    private Tensor rmsNorm(Tensor x, Tensor weight) {
        return torch.rms_norm(x, normShape, new TensorOptional(weight), new DoubleOptional(config.rmsNormEps()));
    }

    private Tensor require(String name) {
        Tensor t = parameters.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing parameter '" + name + "'");
        }
        return t;
    }

    private Tensor layer(int i, String suffix) {
        return require(ParameterLayout.layer(i, suffix));
    }

    private TensorOptional bias(int i, String suffix) {
        Tensor t = parameters.get(ParameterLayout.layer(i, suffix));
        return t == null ? new TensorOptional() : new TensorOptional(t);
    }
}
