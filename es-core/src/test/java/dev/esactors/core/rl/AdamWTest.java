package dev.esactors.core.rl;

import dev.esactors.core.torch.TensorData;
import dev.esactors.core.torch.Torch;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Our AdamW takes LibTorch's AdamW's steps, bit for bit, and its state survives a checkpoint. */
class AdamWTest {

    @BeforeAll
    static void libtorch() {
        Torch.load();
    }

    @Test
    void stepsEqualLibTorchsAdamW() {
        float[] start = random(48, 1);
        Tensor ours = TensorData.floats(start, 6, 8).requires_grad_(true);
        Tensor theirs = TensorData.floats(start, 6, 8).requires_grad_(true);
        AdamW adamW = new AdamW(List.of(ours), 3e-3, 0.9, 0.99, 1e-8, 0.01);
        AdamWOptions options = new AdamWOptions(3e-3);
        // betas() points at a std::tuple<double, double>, which libstdc++ lays out last element first: slot 0
        // holds beta2. (Written the obvious way, LibTorch silently runs with the betas swapped.)
        options.betas().put(0, 0.99).put(1, 0.9);
        options.eps().put(1e-8);
        options.weight_decay().put(0.01);
        TensorVector vector = new TensorVector();
        vector.push_back(theirs);
        org.bytedeco.pytorch.AdamW libtorch = new org.bytedeco.pytorch.AdamW(vector, options);
        for (int step = 0; step < 5; step++) {
            Tensor c = TensorData.floats(random(48, 10 + step), 6, 8); // the gradient of (p * c).sum() is c
            adamW.zeroGrad();
            ours.mul(c).sum().backward();
            adamW.update();
            libtorch.zero_grad();
            theirs.mul(c).sum().backward();
            libtorch.step();
            assertArrayEquals(TensorData.toFloats(theirs.detach()), TensorData.toFloats(ours.detach()),
                    "step " + (step + 1));
        }
        assertEquals(5, adamW.step());
    }

    @Test
    void aRestoredOptimizerContinuesAsTheOriginal() {
        float[] start = random(12, 2);
        Tensor a = TensorData.floats(start, 12).requires_grad_(true);
        AdamW first = new AdamW(List.of(a), 1e-2, 0.9, 0.999, 1e-8, 0);
        for (int step = 0; step < 3; step++) {
            first.zeroGrad();
            a.mul(a).sum().backward();
            first.update();
        }
        Map<String, Tensor> state = first.state(List.of("w"));
        Tensor b = a.detach().clone().requires_grad_(true);
        AdamW second = new AdamW(List.of(b), 1e-2, 0.9, 0.999, 1e-8, 0);
        second.load(List.of("w"), Map.of("adam.m.w", state.get("adam.m.w").clone(),
                "adam.v.w", state.get("adam.v.w").clone()), first.step());
        first.zeroGrad();
        a.mul(a).sum().backward();
        first.update();
        second.zeroGrad();
        b.mul(b).sum().backward();
        second.update();
        assertArrayEquals(TensorData.toFloats(a.detach()), TensorData.toFloats(b.detach()));
        assertThrows(IllegalArgumentException.class, () -> second.load(List.of("w"), Map.of(), 1));
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) r.nextGaussian();
        }
        return out;
    }
}
