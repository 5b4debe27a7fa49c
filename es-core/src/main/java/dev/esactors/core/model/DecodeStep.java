package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decode step (one new position per row, no gradient recorded, no per-member delta) for a fixed batch size,
 * computed into buffers allocated once: every projection, rotary product, cache write, attention product and residual add
 * goes through a LibTorch {@code _out} or in-place variant into a tensor this class holds, and every view of those
 * buffers is made once. Through JavaCPP a call that returns a new tensor costs 5-8 us of host time (its Java
 * object, deallocator and scope bookkeeping) against under 1 us for one that writes into an existing tensor; at
 * small batch a decode step is made of those calls (docs/performance.md). Per layer and step, only the two views
 * of the filled cache slots are new objects.
 *
 * <p>The same LibTorch kernels as {@link Decoder}'s general forward, in the same order, on the same operands:
 * the same bits ({@code DecodeStepTest} compares them exactly). {@link #calls()} counts the LibTorch calls made,
 * for {@code bench host-overhead}.
 */
final class DecodeStep implements AutoCloseable {

    private static final long[] LAST = {-1};
    private static final long[] SLOTS = {3};
    private static final ScalarTypeOptional NO_DTYPE = Decoder.NO_DTYPE; // retained: see Decoder's constants

    private final Decoder decoder;
    private final ModelConfig config;
    private final int batch;
    private final boolean manualNorm;
    private final long[] normShape;
    private final List<Pointer> owned = new ArrayList<>();
    private final Map<Tensor, Tensor> rows = new IdentityHashMap<>(); // batch 1: each product buffer's vector view
    private final Scalar two;
    // Scalars as 0-dim tensors: a Scalar operand is wrapped into a new tensor inside LibTorch on every call.
    private final Tensor epsilon;
    private final Tensor attentionScale;
    private final long[] slotShape; // (B, Hkv, G, S, hd) with S set per step

    // Buffers, each with the views the step needs of it.
    private final Tensor x2d; // residual stream (B, D)
    private final Tensor x3; // (B, 1, D)
    private final Tensor squares; // (B, 1, D)
    private final Tensor meanSquare; // (B, 1, 1)
    private final Tensor h2d; // normed (B, D)
    private final Tensor h3;
    private final Tensor q2d; // (B, H hd)
    private final Tensor q4; // (B, H, 1, hd)
    private final Tensor k2d;
    private final Tensor k4; // (B, Hkv, 1, hd)
    private final Tensor v2d;
    private final Tensor v4;
    private final Rotation qRotation; // into (B, H, 1, hd)
    private final Rotation kRotation; // into (B, Hkv, 1, hd)
    private final Tensor queries; // scaled q (B, H, 1, hd)
    private final Tensor queries5; // (B, Hkv, G, 1, hd)
    private final Tensor queries3; // (B Hkv, G, hd)
    private final Tensor attended; // (B, Hkv, G, hd)
    private final Tensor attended2d; // (B, H hd)
    private final Tensor attended3; // (B Hkv, G, hd)
    private final Tensor attendedHeads; // (B, H, 1, hd), for scaled_dot_product_attention's result
    private final Tensor o2d; // (B, D)
    private final Tensor o3;
    private final Tensor gate2d; // (B, F)
    private final Tensor up2d;
    private final Tensor down2d; // (B, D)
    private final Tensor down3;
    private final Tensor cos2d; // (B, hd)
    private final Tensor cos4; // (B, 1, 1, hd)
    private final Tensor sin2d;
    private final Tensor sinLow; // (B, 1, 1, hd / 2) each
    private final Tensor sinHigh;
    private final Tensor slot; // (1) long: the cache slot this step writes
    private long calls;

    DecodeStep(Decoder decoder, int batch) {
        this.decoder = decoder;
        this.config = decoder.config();
        this.batch = batch;
        // Spelled out, RMSNorm is the same LibTorch ops as rms_norm's float32 path, in the same order; in half
        // precision rms_norm computes in float32 and converts back, so it is called as a whole there.
        this.manualNorm = decoder.dtype() == DType.F32;
        this.normShape = new long[] {config.hiddenSize()};
        long d = config.hiddenSize();
        long hd = config.headDim();
        long heads = config.numHeads();
        long kvHeads = config.numKvHeads();
        long group = heads / kvHeads;
        this.slotShape = new long[] {batch, kvHeads, group, 0, hd};
        Device device = decoder.device();
        TensorOptions options = new TensorOptions(decoder.dtype().scalarType()).device(new DeviceOptional(device));
        try (PointerScope scope = new PointerScope()) {
            two = keep(new Scalar(2L));
            epsilon = scalar(config.rmsNormEps(), device);
            attentionScale = scalar(1.0 / Math.sqrt(hd), device);
            x2d = buffer(options, batch, d);
            x3 = keep(x2d.view(batch, 1, d));
            squares = buffer(options, batch, 1, d);
            meanSquare = buffer(options, batch, 1, 1);
            h2d = rowBuffer(options, d);
            h3 = keep(h2d.view(batch, 1, d));
            q2d = rowBuffer(options, heads * hd);
            q4 = keep(q2d.view(batch, heads, 1, hd));
            k2d = rowBuffer(options, kvHeads * hd);
            k4 = keep(k2d.view(batch, kvHeads, 1, hd));
            v2d = rowBuffer(options, kvHeads * hd);
            v4 = keep(v2d.view(batch, kvHeads, 1, hd));
            sin2d = buffer(options, batch, hd);
            Tensor sin4 = sin2d.view(batch, 1, 1, hd);
            sinLow = keep(sin4.narrow(3, 0, hd / 2));
            sinHigh = keep(sin4.narrow(3, hd / 2, hd / 2));
            qRotation = rotation(q4, options, heads);
            kRotation = rotation(k4, options, kvHeads);
            queries = buffer(options, batch, heads, 1, hd);
            queries5 = keep(queries.view(batch, kvHeads, group, 1, hd));
            queries3 = keep(queries.view(batch * kvHeads, group, hd));
            attended = buffer(options, batch, kvHeads, group, hd);
            attended2d = keep(attended.view(batch, heads * hd));
            if (batch == 1) {
                rows.put(attended2d, keep(attended.view(heads * hd)));
            }
            attended3 = keep(attended.view(batch * kvHeads, group, hd));
            attendedHeads = keep(attended.view(batch, heads, 1, hd));
            o2d = rowBuffer(options, d);
            o3 = keep(o2d.view(batch, 1, d));
            gate2d = rowBuffer(options, config.intermediateSize());
            up2d = rowBuffer(options, config.intermediateSize());
            down2d = rowBuffer(options, d);
            down3 = keep(down2d.view(batch, 1, d));
            cos2d = buffer(options, batch, hd);
            cos4 = keep(cos2d.view(batch, 1, 1, hd));
            slot = keep(torch.zeros(new long[] {1}, new TensorOptions(ScalarType.Long)
                    .device(new DeviceOptional(device))));
        }
    }

    int batch() {
        return batch;
    }

    /** LibTorch calls made by this step's forward passes so far. */
    long calls() {
        return calls;
    }

    /**
     * {@link Decoder#forward} for ids (B, 1) at positions (B, 1), attending under {@code mask} (B, 1, 1, S) to
     * the S = cache.length() + 1 filled slots. Returns the final-normed hidden states (B, 1, D), a new tensor.
     */
    Tensor forward(Tensor ids, Tensor positions, long maxPosition, Tensor mask, KvCache cache,
                   List<DecoderWeights.Layer> layers, RotaryEmbedding rope) {
        long slots = cache.length() + 1L;
        torch.index_select_out(x2d, decoder.embeddingWeight(), 0, ids.view(-1));
        calls += 2;
        rope.gather(positions.view(-1), maxPosition, cos2d, sin2d);
        slot.fill_(new Scalar(cache.length()));
        calls += 4;
        StepAttention form = decoder.stepAttention(batch, slots);
        Scratch scratch = scratch(form, slots, mask);
        for (int l = 0; l < layers.size(); l++) {
            DecoderWeights.Layer layer = layers.get(l);
            norm(layer.inputNorm());
            linear(q2d, layer.q());
            linear(k2d, layer.k());
            linear(v2d, layer.v());
            rope(qRotation);
            rope(kRotation);
            attend(form, cache.appendStep(l, slot, kRotation.out(), v4, form), scratch);
            calls += 4; // the cache's two writes and two views
            linear(o2d, attended2d, layer.o());
            x3.add_(o3);
            norm(layer.postNorm());
            linear(gate2d, layer.gate());
            torch.silu_(gate2d);
            linear(up2d, layer.up());
            gate2d.mul_(up2d);
            linear(down2d, gate2d, layer.down());
            x3.add_(down3);
            calls += 4;
        }
        cache.advance(1);
        calls++; // the final norm
        return decoder.finalNorm(x3);
    }

    /**
     * The tensors of one step's attention whose shapes grow with the step's slot count S, shared by all layers:
     * those the form needs, the others null.
     */
    private record Scratch(Tensor product, Tensor scores, Tensor scores4, Tensor weights, Tensor weights5,
                           Tensor mask4, TensorOptional maskArgument) {
    }

    private Scratch scratch(StepAttention form, long slots, Tensor mask) {
        long kvHeads = slotShape[1];
        long group = slotShape[2];
        TensorOptions options = new TensorOptions(decoder.dtype().scalarType())
                .device(new DeviceOptional(decoder.device()));
        switch (form) {
            case BROADCAST -> {
                slotShape[3] = slots;
                Tensor weights = torch.empty(new long[] {batch, kvHeads, group, slots}, options, null);
                calls += 5;
                return new Scratch(torch.empty(slotShape, options, null), // (B, Hkv, G, S, hd)
                        torch.empty(new long[] {batch, kvHeads, group, slots}, options, null), null, weights,
                        weights.unsqueeze(-1), mask.reshape(mask.size(0), 1, 1, -1), null);
            }
            case BATCHED -> {
                Tensor scores = torch.empty(new long[] {batch * kvHeads, group, slots}, options, null);
                calls += 4;
                return new Scratch(null, scores, scores.view(batch, kvHeads, group, slots),
                        torch.empty(new long[] {batch * kvHeads, group, slots}, options, null), null,
                        mask.reshape(mask.size(0), 1, 1, -1), null);
            }
            default -> {
                return new Scratch(null, null, null, null, null, null, new TensorOptional(mask));
            }
        }
    }

    /**
     * The attention of the step's queries over keys and values {@code kv} (as {@link KvCache#appendStep} lays them
     * out for {@code form}), into {@code attended}: {@link Decoder}'s decode-step attention of the same form.
     */
    private void attend(StepAttention form, Tensor[] kv, Scratch s) {
        switch (form) {
            case BROADCAST -> {
                torch.mul_out(queries, qRotation.out(), attentionScale);
                torch.mul_out(s.product(), queries5, kv[0]); // (B, Hkv, G, S, hd)
                torch.sum_out(s.scores(), s.product(), LAST, false, NO_DTYPE); // (B, Hkv, G, S)
                s.scores().add_(s.mask4());
                torch.softmax_out(s.weights(), s.scores(), -1);
                torch.mul_out(s.product(), s.weights5(), kv[1]);
                torch.sum_out(attended, s.product(), SLOTS, false, NO_DTYPE); // (B, Hkv, G, hd)
                calls += 7;
            }
            case BATCHED -> {
                torch.mul_out(queries, qRotation.out(), attentionScale);
                torch.bmm_out(s.scores(), queries3, kv[0]); // (B Hkv, G, S)
                s.scores4().add_(s.mask4());
                torch.softmax_out(s.weights(), s.scores(), -1);
                torch.bmm_out(attended3, s.weights(), kv[1]); // (B Hkv, G, hd)
                calls += 5;
            }
            case FUSED -> {
                attendedHeads.copy_(torch.scaled_dot_product_attention(qRotation.out(), kv[0], kv[1],
                        s.maskArgument(), 0.0, false, Decoder.NO_SCALE, config.numKvHeads() != config.numHeads()));
                calls += 2;
            }
            default -> throw new IllegalStateException(form.name());
        }
    }

    /** h = RMSNorm(x) with {@code norm}'s weight. */
    private void norm(DecoderWeights.Norm norm) {
        if (manualNorm) {
            torch.pow_out(squares, x3, two);
            torch.mean_out(meanSquare, squares, LAST, true, NO_DTYPE);
            meanSquare.add_(epsilon).rsqrt_();
            torch.mul_out(h3, x3, meanSquare).mul_(norm.weight());
            calls += 6;
        } else {
            h3.copy_(torch.rms_norm(x3, normShape, norm.weightArgument(), norm.epsilon()));
            calls += 2;
        }
    }

    private void linear(Tensor out, DecoderWeights.Linear p) {
        linear(out, h2d, p);
    }

    /** out = in W^T + b, as the general forward computes it ({@link DecoderWeights.Linear#into}). */
    private void linear(Tensor out, Tensor in, DecoderWeights.Linear p) {
        p.into(out, in, rows.get(out), rows.get(in)); // the vector views exist for a single row only
        calls++;
    }

    /**
     * out = x cos + roll(x) signedSin, as {@link RotaryEmbedding#apply}, with the roll made of views: roll(x) is
     * [x2, x1], so the low half adds x2 signedSin1 and the high half x1 signedSin2, the same products and sums.
     * LibTorch's roll is several kernels of its own, and was the most expensive call of the step.
     */
    private void rope(Rotation r) {
        torch.mul_out(r.out(), r.x(), cos4);
        torch.mul_out(r.lowProduct(), r.xHigh(), sinLow);
        r.outLow().add_(r.lowProduct());
        torch.mul_out(r.highProduct(), r.xLow(), sinHigh);
        r.outHigh().add_(r.highProduct());
        calls += 5;
    }

    /** A rotary product's operand x (B, heads, 1, hd), its output, their halves, and the halves' products. */
    private record Rotation(Tensor x, Tensor xLow, Tensor xHigh, Tensor out, Tensor outLow, Tensor outHigh,
                            Tensor lowProduct, Tensor highProduct) {
    }

    private Rotation rotation(Tensor x, TensorOptions options, long heads) {
        long hd = config.headDim();
        long half = hd / 2;
        Tensor out = buffer(options, batch, heads, 1, hd);
        return new Rotation(x, keep(x.narrow(3, 0, half)), keep(x.narrow(3, half, half)), out,
                keep(out.narrow(3, 0, half)), keep(out.narrow(3, half, half)),
                buffer(options, batch, heads, 1, half), buffer(options, batch, heads, 1, half));
    }

    /**
     * A 0-dim float32 tensor holding {@code value}: as a Scalar is, it is read in the arithmetic's float precision
     * whatever the working dtype, and rounded to it only with the result.
     */
    private Tensor scalar(double value, Device device) {
        return keep(torch.full(new long[0], new Scalar(value), new TensorOptions(ScalarType.Float)
                .device(new DeviceOptional(device))));
    }

    private Tensor buffer(TensorOptions options, long... shape) {
        return keep(torch.empty(shape, options, null));
    }

    /** A (B, n) buffer that products write or read; for a single row, with its vector view made once. */
    private Tensor rowBuffer(TensorOptions options, long n) {
        Tensor matrix = buffer(options, batch, n);
        if (batch == 1) {
            rows.put(matrix, keep(matrix.view(n)));
        }
        return matrix;
    }

    /** Holds {@code p} past the scope it was made in, until {@link #close}. */
    private <P extends Pointer> P keep(P p) {
        p.retainReference();
        owned.add(p);
        return p;
    }

    @Override
    public void close() {
        for (Pointer p : owned) {
            p.releaseReference();
        }
        owned.clear();
    }
}
