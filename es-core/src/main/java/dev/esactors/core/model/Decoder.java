package dev.esactors.core.model;

import dev.esactors.core.model.DecoderWeights.Layer;
import dev.esactors.core.model.DecoderWeights.Linear;
import dev.esactors.core.model.DecoderWeights.Norm;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one decoder for the Llama and Qwen2 families, in LibTorch ops: RMSNorm, rotary attention with grouped
 * key/value heads and a KV cache, SwiGLU MLP, and a tied or separate output head. Which family it runs is a
 * matter of {@link ModelConfig} flags (q/k/v biases, GQA, RoPE theta), not of code paths.
 *
 * <p>The parameters are held by name; in-place changes to them (full-rank ES perturbations) are seen by the next
 * forward. Per-member changes that leave the parameters alone (low-rank perturbations) are an argument of the
 * forward pass, a {@link WeightDelta}: the decoder itself holds no perturbation state.
 */
public final class Decoder {

    /** Broadcast decode-step attention up to this many (B, heads, S, hd) elements (4 MB in float32). */
    private static final long SMALL_DECODE_ELEMENTS = 1L << 20;
    /**
     * Broadcast decode-step attention only for heads at most this wide: the per-head products of 8- and 32-wide
     * heads (stories260K, sudoku4-base) are too small for a matrix product to pay, while 64-wide heads (the 21.9M
     * bench model, Qwen2.5) decode 1.23x as fast at batch 8 through batched products (bench decode
     * --compare-decode-attention with the rule off, docs/performance.md).
     */
    private static final int BROADCAST_MAX_HEAD_DIM = 32;
    // Built once: per-call JavaCPP objects cost microseconds each (see Norm). Retained, so that a PointerScope
    // open while this class is initialised cannot free them.
    private static final TensorOptional NO_TENSOR = permanent(new TensorOptional());
    static final ScalarTypeOptional NO_DTYPE = permanent(new ScalarTypeOptional());
    static final DoubleOptional NO_SCALE = permanent(new DoubleOptional());

    private final ModelConfig config;
    private final Map<String, Tensor> parameters;
    private final Device device;
    private final DType dtype;
    private final Tensor embed;
    private final List<Layer> layers;
    private final Norm finalNorm;
    private final Linear lmHead;
    private final RotaryEmbedding rope;
    private final long[] normShape;
    private final Scalar attentionScale; // 1 / sqrt(head_dim)
    private final DecodePaths paths;
    private DecodeStep step; // the buffers of the last batch size decoded one position at a time

    /**
     * Wraps {@code parameters} (every tensor of {@link ParameterLayout#of}, all on one device and in one floating
     * dtype). The map is kept, not copied: its tensors are the model.
     */
    public Decoder(ModelConfig config, Map<String, Tensor> parameters) {
        this(config, parameters, DecodePaths.DEFAULT);
    }

    /** As above, decoding through {@code paths} (benchmarks and tests compare the paths; all give the same bits). */
    public Decoder(ModelConfig config, Map<String, Tensor> parameters, DecodePaths paths) {
        this.config = config;
        this.paths = paths;
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
            list.add(new Layer(norm(ParameterLayout.layer(i, "input_layernorm.weight")),
                    projection(i, "self_attn.q_proj"), projection(i, "self_attn.k_proj"),
                    projection(i, "self_attn.v_proj"), projection(i, "self_attn.o_proj"),
                    norm(ParameterLayout.layer(i, "post_attention_layernorm.weight")),
                    projection(i, "mlp.gate_proj"), projection(i, "mlp.up_proj"), projection(i, "mlp.down_proj")));
        }
        this.layers = List.copyOf(list);
        this.finalNorm = norm(ParameterLayout.FINAL_NORM);
        // Tied embeddings: the output head is the input embedding matrix itself (one tensor, one update).
        String head = config.tieWordEmbeddings() ? ParameterLayout.EMBED : ParameterLayout.LM_HEAD;
        this.lmHead = new Linear(head, require(head), "", new TensorOptional(), permanent(require(head).t()));
        this.rope = new RotaryEmbedding(config, device, dtype.scalarType());
        this.normShape = new long[] {config.hiddenSize()};
        this.attentionScale = new Scalar(1.0 / Math.sqrt(config.headDim()));
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

    /**
     * This model decoding through {@code paths}: the same parameter tensors (an update to either is an update to
     * both), its own decode-step buffers.
     */
    public Decoder withPaths(DecodePaths paths) {
        return new Decoder(config, parameters, paths);
    }

    /** LibTorch calls made by fast decode steps of the current batch size so far (0 before the first). */
    public long decodeStepCalls() {
        return step == null ? 0 : step.calls();
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
        return forward(ids, positions, maxPosition, mask, cache, WeightDelta.NONE);
    }

    /**
     * {@link #forward(Tensor, Tensor, long, Tensor, KvCache)} with {@code delta}'s per-member changes added to the
     * weights: the B rows belong to {@code delta.members()} members in member-major order, and the parameters
     * stay as they are.
     */
    public Tensor forward(Tensor ids, Tensor positions, long maxPosition, Tensor mask, KvCache cache,
                          WeightDelta delta) {
        long b = ids.size(0);
        long t = ids.size(1);
        // Without a gradient to record (decoding), the residual stream and the MLP's products are this forward's own
        // tensors, so their ops can go in place or into preallocated buffers: the same sums and products, and a call
        // that returns a new tensor costs several times one that does not through JavaCPP. A GRPO step's backward
        // pass needs the originals.
        boolean inPlace = !recordsGradients();
        if (t == 1 && delta == WeightDelta.NONE && paths.fastStep() && inPlace) {
            if (step == null || step.batch() != b) {
                if (step != null) {
                    step.close();
                }
                step = new DecodeStep(this, (int) b);
            }
            return step.forward(ids, positions, maxPosition, mask, cache, layers, rope);
        }
        Tensor[] cosSin = rope.at(positions, maxPosition);
        if (b % delta.members() != 0) {
            throw new IllegalArgumentException("a batch of " + b + " rows cannot be shared by " + delta.members()
                    + " members");
        }
        Tensor x = embedding(ids, delta); // (B, T, D)
        TensorOptional attnMask = new TensorOptional(mask);
        for (int l = 0; l < layers.size(); l++) {
            Layer layer = layers.get(l);
            Tensor h = rmsNorm(x, layer.inputNorm(), delta);
            x = residual(x, attention(l, layer, h, cosSin, attnMask, cache, b, t, delta), inPlace);
            h = rmsNorm(x, layer.postNorm(), delta);
            x = residual(x, mlp(layer, h, delta, inPlace), inPlace);
        }
        cache.advance((int) t);
        return rmsNorm(x, finalNorm, delta);
    }

    /**
     * Logits (T, V), float32 on the CPU, at every position of one sequence, computed in a single causal pass
     * over the whole sequence (no cache reuse): the reference that cached decoding must agree with.
     */
    public Tensor sequenceLogits(int[] ids) {
        return sequenceLogits(ids, WeightDelta.NONE);
    }

    /** {@link #sequenceLogits(int[])} with {@code delta}'s changes to the weights (one row: a single member). */
    public Tensor sequenceLogits(int[] ids, WeightDelta delta) {
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
                newCache(1, t), delta);
        return logits(hidden, delta).squeeze(0).to(new Device(torch.DeviceType.CPU), ScalarType.Float);
    }

    /** Output logits (B, T, V) of final-normed hidden states (B, T, D). */
    public Tensor logits(Tensor hidden) {
        return logits(hidden, WeightDelta.NONE);
    }

    /**
     * Output logits of the final-normed hidden states (B, 1, D) of one position per row, written into {@code out}
     * (B, V), a float32 tensor on the CPU: straight into it when the model is float32 on the CPU and no gradient
     * is recorded (the same product as {@link #logits}, without the new tensors around it), else through a copy.
     */
    public void logitsInto(Tensor out, Tensor hidden, WeightDelta delta) {
        if (delta == WeightDelta.NONE && dtype == DType.F32 && device.is_cpu() && !recordsGradients()) {
            Tensor rows = hidden.view(-1, hidden.size(-1));
            boolean single = out.size(0) == 1;
            lmHead.into(out, rows, single ? out.view(-1) : null, single ? rows.view(-1) : null);
        } else {
            out.copy_(logits(hidden, delta).squeeze(1).to(new Device(torch.DeviceType.CPU), ScalarType.Float));
        }
    }

    /** Output logits (B, T, V) with {@code delta}'s change to the output head (member-major rows). */
    public Tensor logits(Tensor hidden, WeightDelta delta) {
        return linear(hidden, lmHead, delta);
    }

    private Tensor attention(int index, Layer layer, Tensor h, Tensor[] cosSin, TensorOptional mask, KvCache cache,
                             long b, long t, WeightDelta delta) {
        long hd = config.headDim();
        Tensor q = linear(h, layer.q(), delta).view(b, t, config.numHeads(), hd).transpose(1, 2);
        Tensor k = linear(h, layer.k(), delta).view(b, t, config.numKvHeads(), hd).transpose(1, 2);
        Tensor v = linear(h, layer.v(), delta).view(b, t, config.numKvHeads(), hd).transpose(1, 2);
        // q (B, nHeads, T, hd); k, v (B, nKvHeads, T, hd)
        q = rope.apply(q, cosSin[0], cosSin[1]);
        k = rope.apply(k, cosSin[0], cosSin[1]);
        Tensor[] kv = cache.append(index, k, v); // each (B, nKvHeads, S, hd)
        StepAttention form = t == 1 ? stepAttention(b, kv[0].size(2)) : StepAttention.FUSED;
        Tensor out = switch (form) { // (B, nHeads, T, hd)
            case BROADCAST -> StepAttention.broadcast(q, kv[0], kv[1], mask.get(), attentionScale);
            case BATCHED -> StepAttention.batched(q, kv[0], kv[1], mask.get(), attentionScale);
            case FUSED -> torch.scaled_dot_product_attention(q, kv[0], kv[1], mask, 0.0, false, NO_SCALE,
                    config.numKvHeads() != config.numHeads());
        };
        out = out.transpose(1, 2).reshape(b, t, (long) config.numHeads() * hd); // (B, T, nHeads * hd)
        return linear(out, layer.o(), delta);
    }

    /**
     * How one decode step's attention over {@code slots} cached positions runs ({@link StepAttention}). On the CPU
     * as broadcast products while the (B, heads, S, hd) product stays within a few MB: LibTorch's CPU kernel for
     * scaled_dot_product_attention runs two tiny matrix products per row and head, and on sudoku4-base's 32-row
     * decode steps those calls cost more than the arithmetic (a batch decodes 1.19x as fast without them,
     * docs/performance.md). Past ~1M elements the product's memory traffic costs more than the calls, and so do
     * heads wider than 32; batched products over (B x kvHeads) matrices take over. GPUs keep their fused kernels.
     */
    StepAttention stepAttention(long b, long slots) {
        if (device.is_cuda()) {
            return StepAttention.FUSED;
        }
        long elements = b * config.numHeads() * slots * config.headDim();
        return paths.broadcastAttention() && config.headDim() <= BROADCAST_MAX_HEAD_DIM
                && elements <= SMALL_DECODE_ELEMENTS ? StepAttention.BROADCAST : StepAttention.BATCHED;
    }

    private Tensor mlp(Layer layer, Tensor h, WeightDelta delta, boolean inPlace) {
        Tensor projected = linear(h, layer.gate(), delta); // (B, T, F)
        Tensor gate = inPlace ? torch.silu_(projected) : torch.silu(projected);
        Tensor up = linear(h, layer.up(), delta);
        return linear(inPlace ? gate.mul_(up) : gate.mul(up), layer.down(), delta); // (B, T, D)
    }

    /** x + y: in place on x when {@code inPlace} (x is then this forward's own residual stream). */
    private static Tensor residual(Tensor x, Tensor y, boolean inPlace) {
        return inPlace ? x.add_(y) : x.add(y);
    }

    /** x W^T + b, plus the delta's per-member additions to W and b. */
    private Tensor linear(Tensor x, Linear p, WeightDelta delta) {
        // A strided input (the prefill's last positions, say) is made contiguous first: LibTorch's bf16 matrix
        // product of a strided input converts the whole weight to float32 on every call, 0.9 GB and 6 s at Qwen2.5-
        // 1.5B's output head. A copy of a few rows; float32 products round the same either way.
        x = x.is_contiguous() ? x : x.contiguous();
        Tensor y = delta == WeightDelta.NONE && x.numel() == x.size(-1) ? singleRow(x, p)
                : torch.linear(x, p.weight(), p.bias());
        if (delta == WeightDelta.NONE) {
            return y;
        }
        int m = delta.members();
        Tensor perMember = delta.linear(p.name(), x.reshape(m, -1, x.size(-1)), y.view(m, -1, y.size(-1)));
        Tensor bias = p.bias().has_value() ? delta.vector(p.biasName()) : null;
        if (bias != null) {
            perMember = perMember.add(bias);
        }
        return perMember.view(y.sizes());
    }

    /**
     * x W^T + b for an x of one row (any shape (1, ..., 1, in)), as a matrix-vector product: LibTorch's matrix
     * product of one row against a transposed weight packs the whole weight first: 2.6x and 3.8x the time of
     * {@code mv} for 512 x 1376 and 512 x 8192 weights, about the same for narrower outputs ({@code bench products}).
     * It rounds differently from the same row inside a batch's product, as products over different numbers of rows
     * already do.
     */
    private static Tensor singleRow(Tensor x, Linear p) {
        Tensor v = x.reshape(-1);
        Tensor y = p.bias().has_value() ? torch.addmv(p.bias().get(), p.weight(), v) : torch.mv(p.weight(), v);
        long[] shape = new long[(int) x.dim()];
        Arrays.fill(shape, 1);
        shape[shape.length - 1] = p.weight().size(0);
        return y.view(shape);
    }

    private Tensor embedding(Tensor ids, WeightDelta delta) {
        Tensor x = torch.embedding(embed, ids);
        Tensor low = delta == WeightDelta.NONE ? null
                : delta.embedding(ParameterLayout.EMBED, ids.reshape(delta.members(), -1));
        return low == null ? x : x.reshape(low.sizes()).add(low).view(x.sizes());
    }

    /**
     * Whether this forward records gradients: autograd on and the parameters requiring them. GRPO switches all
     * parameters at once (GRPO's learner), so the embedding speaks for them; ES never does, whatever the grad mode.
     */
    private boolean recordsGradients() {
        return GradMode.is_enabled() && embed.requires_grad();
    }

    Tensor embeddingWeight() {
        return embed;
    }

    /** The final RMSNorm of hidden states (B, T, D), a new tensor. */
    Tensor finalNorm(Tensor x) {
        return rmsNorm(x, finalNorm, WeightDelta.NONE);
    }

    private Tensor rmsNorm(Tensor x, Norm norm, WeightDelta delta) {
        Tensor change = delta == WeightDelta.NONE ? null : delta.vector(norm.name());
        if (change == null) {
            return torch.rms_norm(x, normShape, norm.weightArgument(), norm.epsilon());
        }
        // Each member's rows are scaled by its own weight: (M, R, D) x (M, 1, D).
        Tensor normed = torch.rms_norm(x, normShape, NO_TENSOR, norm.epsilon());
        return normed.reshape(delta.members(), -1, normShape[0]).mul(change.add(norm.weight())).view(x.sizes());
    }

    private static <P extends org.bytedeco.javacpp.Pointer> P permanent(P pointer) {
        pointer.retainReference();
        return pointer;
    }

    private Tensor require(String name) {
        Tensor t = parameters.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing parameter '" + name + "'");
        }
        return t;
    }

    private Norm norm(String name) {
        Tensor weight = require(name);
        return new Norm(name, weight, permanent(new TensorOptional(weight)),
                permanent(new DoubleOptional(config.rmsNormEps())));
    }

    private Linear projection(int i, String prefix) {
        String weight = ParameterLayout.layer(i, prefix + ".weight");
        String bias = ParameterLayout.layer(i, prefix + ".bias");
        Tensor b = parameters.get(bias);
        Tensor w = require(weight);
        return new Linear(weight, w, bias, permanent(b == null ? new TensorOptional() : new TensorOptional(b)),
                permanent(w.t()));
    }
}
