package dev.esactors.core.torch;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The one place that loads LibTorch's native libraries into this JVM. */
public final class Torch {

    /**
     * The large LibTorch libraries unpacked before {@link Loader#load}. Without this, on a machine with a
     * system libtorch (Debian's python3-torch, libtorch-dev) a first run with an empty JavaCPP cache dies
     * with SIGSEGV: the dynamic loader resolves the dependencies of the JNI library to the system copies.
     */
    private static final String[] PRELOADED = {"libc10.so", "libtorch_cpu.so", "libtorch.so"};

    private Torch() {
    }

    /** Loads LibTorch once; later calls return at once. Safe from any thread. */
    public static void load() {
        Holder.touch();
    }

    /** How the native heap that LibTorch's tensors live on is set up ({@link NativeHeap}), for a log line. */
    public static String nativeHeap() {
        load();
        return Holder.HEAP;
    }

    /**
     * Returns the native heap's free memory to the kernel ({@link NativeHeap#trim}): after a phase that freed much
     * that will not be needed again soon, such as loading a model.
     */
    public static void releaseFreedMemory() {
        load();
        NativeHeap.trim();
    }

    /**
     * The OpenBLAS LibTorch's CPU products run on ({@link Blas}): version, core type, file and the {@code es.blas}
     * setting, for a log line.
     */
    public static String blas() {
        load();
        return Holder.BLAS.text();
    }

    /**
     * The CPU kernels this process's arithmetic runs on, in short: LibTorch's level and the OpenBLAS core type (e.g.
     * "ATen AVX2, OpenBLAS Haswell"). Two processes that print the same run the same kernels; the same run on
     * other kernels may round to other weights (GRPO's always; ES's where a reward flips). Run directories record
     * it, so that a resume on other kernels says so.
     */
    public static String kernels() {
        load();
        return Holder.KERNELS;
    }

    /**
     * Applies the {@code es.blas} / {@code ES_BLAS} setting ahead of LibTorch ({@link Blas#select}): null when it
     * is usable, else the one-line reason, for a command line to report before it starts work.
     */
    public static String applyBlasSetting() {
        try {
            Blas.select();
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * The level of LibTorch's vectorised CPU kernels and how it was chosen ({@link CpuKernels}: pinned to AVX2 on
     * x86-64 so that runs repeat across machines), for a log line.
     */
    public static String cpuKernels() {
        load();
        return CpuKernels.describe(Holder.KERNEL_SETTING);
    }

    /** Sets LibTorch's intra-op thread count (the BLAS also reads {@code OMP_NUM_THREADS} at start-up). */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        load();
        torch.set_num_threads(threads);
    }

    /** The intra-op thread count in force. */
    public static int threads() {
        load();
        return torch.get_num_threads();
    }

    /** Class-holder idiom: the JVM runs the static initialiser exactly once, under its own lock. */
    private static final class Holder {
        static final String HEAP;
        static final Blas.Described BLAS;
        static final String KERNEL_SETTING;
        static final String KERNELS; // fixed once LibTorch has loaded: ATen reads its level once, OpenBLAS its core

        static {
            // DJL's tokenizers (loaded beside us) phone home unless told not to; we never reach the network.
            System.setProperty("offline", "true");
            // JavaCPP would otherwise refuse native allocations beyond twice the Java heap; model weights,
            // KV caches and activations live natively and are freed deterministically by PointerScopes.
            if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) {
                System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
            }
            HEAP = NativeHeap.tune();
            Blas.select(); // before LibTorch: the library it binds libopenblas.so.0 to is the first one loaded
            KERNEL_SETTING = CpuKernels.pin(); // before LibTorch's first kernel, when ATen reads the level once
            String platform = Loader.getPlatform();
            Path torchCpu = null;
            for (String lib : PRELOADED) {
                String resource = "/org/bytedeco/pytorch/" + platform + "/" + lib;
                if (torch.class.getResource(resource) == null) {
                    continue; // a GPU or other build may name its libraries differently: nothing to pre-unpack
                }
                try {
                    File file = Loader.cacheResource(torch.class, resource);
                    if (lib.equals("libtorch_cpu.so")) {
                        torchCpu = file.toPath(); // for naming the BLAS it calls
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot unpack LibTorch library " + resource, e);
                }
            }
            Loader.load(torch.class);
            BLAS = Blas.describe(torchCpu);
            KERNELS = "ATen " + CpuKernels.level() + ", OpenBLAS " + BLAS.core();
        }

        static void touch() {
            // the static initialiser above has run by the time this returns
        }
    }
}
