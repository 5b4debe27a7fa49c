package dev.esactors.cli.bench;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.esactors.cli.options.RuntimeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bench products}: the matrix products a decode step is made of at small batch, on the 21.9M random Llama's
 * weight shapes, in the forms the decoder could take: {@code mm(x, W^T)} (what LibTorch's linear does, and the
 * decoder for more than one row), {@code mv(W, x)} per row (the decoder for a single row), {@code mm(W, x^T)} (the
 * weight as the left operand) and {@code mm(x, Wt)} from the weight stored transposed and contiguous (which OpenBLAS
 * packs with a plain copy). Each form cycles through 24 weights of the shape, so that they stream from memory
 * as a model's do rather than sit in cache. Microseconds per product, best of 3, one thread.
 */
@Command(name = "products", mixinStandardHelpOptions = true,
        description = "A decode step's matrix products at 1, 8 and 32 rows on the ~20M model's weight shapes, in four "
                + "forms: mm(x, W^T), mv per row, mm(W, x^T), mm(x, Wt) with Wt = W^T contiguous.")
final class ProductBench implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime;

    @Spec
    CommandSpec spec;

    private static final int[][] SHAPES = {{512, 512}, {512, 1376}, {1376, 512}, {512, 8192}}; // in, out
    private static final int[] ROWS = {1, 8, 32};
    private static final int COPIES = 24;

    @Override
    public Integer call() {
        runtime.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Matrix products of a decode step, one thread, weights streamed (24 of each shape); %s%n",
                BenchModels.blas());
        run(out);
        return 0;
    }

    private void run(PrintWriter out) {
        out.printf("%6s %6s %6s %14s %14s %14s %14s%n", "rows", "in", "out", "mm(x, W^T) us", "mv per row us",
                "mm(W, x^T) us", "mm(x, Wt) us");
        for (int[] shape : SHAPES) {
            for (int rows : ROWS) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor[] weights = new Tensor[COPIES];
                    Tensor[] transposed = new Tensor[COPIES];
                    Tensor[] stored = new Tensor[COPIES]; // W^T laid out contiguous: OpenBLAS's plain (nn) form
                    for (int c = 0; c < COPIES; c++) {
                        weights[c] = torch.randn(shape[1], shape[0]);
                        transposed[c] = weights[c].t();
                        stored[c] = transposed[c].contiguous();
                    }
                    Tensor x = torch.randn(rows, shape[0]);
                    Tensor xT = x.t();
                    Tensor y = torch.empty(rows, shape[1]);
                    Tensor yT = torch.empty(shape[1], rows);
                    Tensor[] xRows = new Tensor[rows];
                    Tensor[] yRows = new Tensor[rows];
                    for (int r = 0; r < rows; r++) {
                        xRows[r] = x.select(0, r);
                        yRows[r] = y.select(0, r);
                    }
                    double mm = time(c -> torch.mm_out(y, x, transposed[c]));
                    double mv = time(c -> {
                        for (int r = 0; r < rows; r++) {
                            torch.mv_out(yRows[r], weights[c], xRows[r]);
                        }
                    });
                    double left = time(c -> torch.mm_out(yT, weights[c], xT));
                    double plain = time(c -> torch.mm_out(y, x, stored[c]));
                    out.printf(Locale.ROOT, "%6d %6d %6d %14.1f %14.1f %14.1f %14.1f%n", rows, shape[0], shape[1], mm,
                            mv, left, plain);
                    out.flush();
                }
            }
        }
    }

    /** Best of 3 rounds of 240 products (10 passes over the weights), in microseconds per product. */
    private static double time(java.util.function.IntConsumer product) {
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 4; round++) { // the first warms up
            long start = System.nanoTime();
            for (int i = 0; i < COPIES * 10; i++) {
                try (PointerScope step = new PointerScope()) {
                    product.accept(i % COPIES);
                }
            }
            double micros = (System.nanoTime() - start) / 1e3 / (COPIES * 10);
            if (round > 0) {
                best = Math.min(best, micros);
            }
        }
        return best;
    }
}
