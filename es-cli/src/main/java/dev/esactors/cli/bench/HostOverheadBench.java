package dev.esactors.cli.bench;

import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.DecodePaths;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.KvCache;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.RopeConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.esactors.cli.options.RuntimeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code bench host-overhead}: what one decoder layer costs the host per decode step, measured where the arithmetic
 * is negligible (a random model 32 wide and 48 layers deep, batch 1), for the general forward and for the
 * preallocated decode step, alternated: microseconds per layer, the JavaCPP objects a layer allocates per step (each
 * LibTorch call that returns a new tensor, and each argument object, counted by a PointerScope that every new object
 * attaches to), and the decode step's LibTorch calls per layer. On a GPU, where a step of a large model at small
 * batch waits on its host-side launches, these bound the decode speed.
 */
@Command(name = "host-overhead", mixinStandardHelpOptions = true,
        description = "Microseconds and JavaCPP objects per decoder layer per decode step on a deep, narrow model, "
                + "for the general forward and the preallocated decode step, and the step's LibTorch calls per layer.")
final class HostOverheadBench implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime;

    @Spec
    CommandSpec spec;

    /** Deep and narrow: per-layer host cost dominates the arithmetic. */
    static final ModelConfig DEEP_NARROW = new ModelConfig(Architecture.LLAMA, 32, 64, 48, 4, 2, 8, 512, 512, 1e-5,
            RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.02);

    private static final int PROMPT = 4;
    private static final int STEPS = 200;

    /** Counts the JavaCPP objects attached while it is the innermost scope. */
    private static final class CountingScope extends PointerScope {
        long attached;

        @Override
        public PointerScope attach(Pointer p) {
            attached++;
            return super.attach(p);
        }
    }

    /** One decode path's figures: host time and JavaCPP objects per layer per step. */
    private record Figures(double microsPerLayer, double objectsPerLayer) {
    }

    @Override
    public Integer call() {
        runtime.applyThreads();
        run(spec.commandLine().getOut(), runtime.deviceSpec());
        return 0;
    }

    private void run(PrintWriter out, DeviceSpec device) {
        Decoder decoder = ModelLoader.random(DEEP_NARROW, 42, device, DType.F32);
        int layers = DEEP_NARROW.numLayers();
        out.printf(Locale.ROOT, "host overhead: random Llama %d wide, %d layers, batch 1, %d decode steps, best of 3 "
                        + "alternating rounds; JavaCPP objects: each LibTorch call that returns a new tensor, and each "
                        + "argument object, counted by the PointerScope they attach to%n",
                DEEP_NARROW.hiddenSize(), layers, STEPS);
        Figures general = null;
        Figures fast = null;
        long calls = 0;
        Decoder generalPath = decoder.withPaths(new DecodePaths(false, true)); // the same weights
        for (int round = 0; round < 4; round++) { // the first warms up
            Figures g = measure(generalPath);
            long before = decoder.decodeStepCalls();
            Figures f = measure(decoder);
            calls = decoder.decodeStepCalls() - before;
            if (round > 0) {
                general = general == null || g.microsPerLayer() < general.microsPerLayer() ? g : general;
                fast = fast == null || f.microsPerLayer() < fast.microsPerLayer() ? f : fast;
            }
        }
        double callsPerLayer = (double) calls / STEPS / layers;
        out.printf(Locale.ROOT, "general forward (prefill, deltas, autograd): %.1f us per layer per step; %.1f "
                + "JavaCPP objects per layer per step%n", general.microsPerLayer(), general.objectsPerLayer());
        out.printf(Locale.ROOT, "decode step (preallocated buffers): %.1f us per layer per step; %.1f JavaCPP objects "
                        + "per layer per step; %.1f LibTorch calls per layer per step (the step's own count, its "
                        + "per-step calls shared out); %.2f us per call; %.2fx the general forward's speed%n",
                fast.microsPerLayer(), fast.objectsPerLayer(), callsPerLayer, fast.microsPerLayer() / callsPerLayer,
                general.microsPerLayer() / fast.microsPerLayer());
    }

    /** 200 decode steps after a 4-token prefill, through the decoder's paths. */
    private static Figures measure(Decoder decoder) {
        long objects = 0;
        double seconds;
        try (PointerScope run = new PointerScope()) {
            KvCache cache = decoder.newCache(1, PROMPT + STEPS + 1);
            decoder.forward(ids(PROMPT, decoder), positions(0, PROMPT, decoder), PROMPT - 1,
                    mask(PROMPT, PROMPT, decoder), cache);
            long start = System.nanoTime();
            for (int s = 0; s < STEPS; s++) {
                int slot = PROMPT + s;
                try (CountingScope step = new CountingScope()) {
                    decoder.forward(ids(1, decoder), positions(slot, 1, decoder), slot, mask(1, slot + 1, decoder),
                            cache);
                    objects = step.attached;
                }
            }
            seconds = (System.nanoTime() - start) / 1e9;
        }
        int layers = decoder.config().numLayers();
        return new Figures(seconds / STEPS / layers * 1e6, (double) objects / layers);
    }

    private static Tensor ids(int n, Decoder decoder) {
        long[] ids = new long[n];
        java.util.Arrays.fill(ids, 7);
        return TensorData.longs(ids, 1, n).to(decoder.device(), ScalarType.Long);
    }

    private static Tensor positions(int from, int n, Decoder decoder) {
        long[] positions = new long[n];
        for (int i = 0; i < n; i++) {
            positions[i] = from + i;
        }
        return TensorData.longs(positions, 1, n).to(decoder.device(), ScalarType.Long);
    }

    /** A causal mask (1, 1, n, slots) for the last n of {@code slots} positions. */
    private static Tensor mask(int n, int slots, Decoder decoder) {
        float[] mask = new float[n * slots];
        for (int i = 0; i < n; i++) {
            for (int j = slots - n + i + 1; j < slots; j++) {
                mask[i * slots + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return TensorData.floats(mask, 1, 1, n, slots).to(decoder.device(), decoder.dtype().scalarType());
    }
}
