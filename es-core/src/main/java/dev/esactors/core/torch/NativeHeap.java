package dev.esactors.core.torch;

import com.sun.jna.Platform;

/**
 * Keeps the native memory that tensors free inside the process, for the next tensors, instead of handing it back to
 * the kernel at once. LibTorch allocates every CPU tensor with malloc; glibc's defaults serve blocks over 128 KiB
 * (a few rows of activations) with their own mmap, unmapped again when the tensor is freed, and return the top of
 * the heap whenever 128 KiB of it are free, so a decode step that makes and frees a few hundred such temporaries
 * pays page faults for all of them, every step. On this project's (virtualised) machine that made a 32-member
 * low-rank pass of the 21.9M model 2-3x slower than the same pass with the settings below (docs/performance.md).
 *
 * <p>Blocks under 32 MiB (glibc's maximum for the threshold) come from the heap, 512 MiB of free heap stay mapped,
 * and the heap grows 64 MiB at a time. The price is resident memory that does not shrink after a peak by up to
 * that much, and a higher peak for large models (bf16 weights under 32 MiB come from the heap: +1 GB for the
 * 1.5B-shaped replay), which {@link #trim} returns after loading. {@code -Des.native-heap=default} keeps glibc's
 * defaults. Linux with glibc only; elsewhere nothing.
 */
final class NativeHeap {

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final int MIB = 1 << 20;

    /** The C library once the settings are applied; null when they are not (nothing to trim). */
    private static volatile LibC tuned;

    private NativeHeap() {
    }

    /** Applies the settings once per process; returns what it did, for a log line. */
    static String tune() {
        String setting = System.getProperty("es.native-heap", "tuned");
        if (setting.equals("default")) {
            return "glibc malloc defaults (es.native-heap=default)";
        }
        if (!setting.equals("tuned")) {
            // a typo must not pass for the tuned heap unnoticed; nothing is stopped for it, the defaults are kept
            System.err.println("es-actors: es.native-heap must be tuned or default, got '" + setting
                    + "': keeping glibc's malloc defaults");
            return "glibc malloc defaults (es.native-heap=" + setting + " is not tuned or default)";
        }
        if (!Platform.isLinux()) {
            return "platform malloc defaults (not Linux)";
        }
        try {
            LibC c = LibC.load();
            boolean ok = c.mallopt(M_MMAP_THRESHOLD, 32 * MIB) == 1
                    & c.mallopt(M_TRIM_THRESHOLD, 512 * MIB) == 1
                    & c.mallopt(M_TOP_PAD, 64 * MIB) == 1;
            tuned = ok ? c : null;
            return ok ? "malloc keeps freed memory (mmap threshold 32 MiB, trim threshold 512 MiB, top pad 64 MiB)"
                    : "malloc refused some settings (not glibc?)";
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "malloc defaults (" + e.getMessage() + ")";
        }
    }

    /**
     * Hands the heap's free memory back to the kernel (malloc_trim), after a phase that freed much and will not
     * allocate it again soon: loading a model frees each tensor's file-dtype copy, which the kept heap would hold
     * (1.4 GB after loading the 1.5B-shaped model in fp32, in 0.07 s). No-op with glibc's defaults.
     */
    static void trim() {
        LibC c = tuned;
        if (c != null) {
            c.malloc_trim(0);
        }
    }
}
