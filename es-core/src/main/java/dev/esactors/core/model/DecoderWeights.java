package dev.esactors.core.model;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** A {@link Decoder}'s weights, looked up once by their Hugging Face names; {@link DecodeStep} reads them too. */
final class DecoderWeights {

    private DecoderWeights() {
    }

    /**
     * A projection's weight (out, in) and optional bias (out), with their names (how a delta finds them), and the
     * weight's transposed view (in, out) that {@link DecodeStep}'s products take, made once.
     */
    record Linear(String name, Tensor weight, String biasName, TensorOptional bias, Tensor transposed) {

        /**
         * out = in W^T + b written into {@code out}, the same product the decoder's general forward makes: for a
         * single row ({@code outRow} and {@code inRow}, the vector views of out and in, not null) a matrix-vector
         * product, else what LibTorch's linear runs for (B, 1, in): addmm with a bias, mm without.
         */
        void into(Tensor out, Tensor in, Tensor outRow, Tensor inRow) {
            if (outRow != null) {
                if (bias.has_value()) {
                    torch.addmv_out(outRow, bias.get(), weight, inRow);
                } else {
                    torch.mv_out(outRow, weight, inRow);
                }
            } else if (bias.has_value()) {
                torch.addmm_out(out, bias.get(), in, transposed);
            } else {
                torch.mm_out(out, in, transposed);
            }
        }
    }

    /**
     * An RMSNorm weight and its name, with the optional arguments LibTorch's call takes built once: each JavaCPP
     * object made per call costs microseconds, which at small batch is what a decode step is made of.
     */
    record Norm(String name, Tensor weight, TensorOptional weightArgument, DoubleOptional epsilon) {
    }

    /** Per-layer parameters, looked up once by their Hugging Face names. */
    record Layer(Norm inputNorm, Linear q, Linear k, Linear v, Linear o, Norm postNorm, Linear gate, Linear up,
                 Linear down) {
    }
}
