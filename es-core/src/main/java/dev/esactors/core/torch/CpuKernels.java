package dev.esactors.core.torch;

import com.sun.jna.Platform;
import org.bytedeco.pytorch.global.torch;

/**
 * The level of LibTorch's own vectorised CPU kernels (ATen's "CPU capability": soft-max, reductions, the
 * optimizer's element-wise arithmetic; the products are the BLAS's, see {@link Blas}). LibTorch picks the widest
 * level the CPU has, and its AVX-512 kernels round differently from its AVX2 ones: a GRPO run resumed on, or
 * started again on, a machine with AVX-512 ended at other weights than on one without (found when CI moved to
 * such a machine). So before LibTorch loads, the level is pinned to AVX2, which every x86-64 machine we run on
 * has, at no speed lost here: LibTorch's part of the arithmetic is then the same on any of them (the products are
 * OpenBLAS's, whose kernels follow its core type: {@link Torch#kernels} names both). Users who want LibTorch's own
 * choice set {@code ATEN_CPU_CAPABILITY} themselves (e.g. {@code avx512}), which is left as it is.
 */
final class CpuKernels {

    /** The variable ATen reads, once, the first time it dispatches a kernel. */
    static final String VARIABLE = "ATEN_CPU_CAPABILITY";

    /** The level pinned on x86-64 unless the environment names one. */
    static final String PINNED = "avx2";

    private CpuKernels() {
    }

    /**
     * Pins the level ahead of LibTorch (call once, before it loads): nothing where the environment already names one
     * or off x86-64 Linux. ATen reads the process environment, which Java cannot write, hence setenv(3). Returns how
     * the level was chosen, for {@link #describe}.
     */
    static String pin() {
        String own = System.getenv(VARIABLE);
        if (own != null) {
            return VARIABLE + "=" + own + " from the environment";
        }
        if (Platform.isLinux() && Platform.isIntel() && Platform.is64Bit()) {
            if (LibC.load().setenv(VARIABLE, PINNED, 0) != 0) {
                throw new IllegalStateException("setenv(" + VARIABLE + ") failed");
            }
            return VARIABLE + "=" + PINNED + ", pinned so that runs repeat across machines";
        }
        return "LibTorch's own choice on this platform";
    }

    /** The level LibTorch runs at (AVX2, AVX512, DEFAULT...); LibTorch loaded. */
    static String level() {
        return torch.get_cpu_capability().getString();
    }

    /** The level and how it was chosen ({@link #pin}'s answer), for a log line; LibTorch loaded. */
    static String describe(String setting) {
        return "ATen CPU kernels " + level() + " (" + setting + ")";
    }
}
