package dev.esactors.core.torch;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Which OpenBLAS LibTorch's CPU matrix products run on: the one bundled with LibTorch's JavaCPP presets (the
 * default, nothing to install), or the machine's own ({@code es.blas=system}, or the {@code ES_BLAS} environment
 * variable; or a path to a libopenblas). The products of a decode step at small batch are most of its time, and on
 * this project's machine Debian's OpenBLAS 0.3.21 ran some of them 10-25% faster than the bundled 0.3.31 (bytedeco's
 * own 0.3.21 build no faster than its 0.3.31: it is the build), with bit-identical results (docs/performance.md).
 * Bits are a property of the kernels a library picks for the CPU, so every node of a cluster should use the same
 * setting.
 *
 * <p>How: the chosen library is opened with RTLD_GLOBAL before JavaCPP loads LibTorch. LibTorch needs
 * {@code libopenblas.so.0}, and the dynamic loader binds that name to the first loaded library whose soname it is;
 * JavaCPP still maps its own copy, unused. {@link #describe} reports the library that LibTorch's {@code sgemm_}
 * actually resolves to, so a setting that did not take is visible.
 */
final class Blas {

    static final String PROPERTY = "es.blas";
    static final String ENV = "ES_BLAS";
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;
    /** Where Debian/Ubuntu (pthread and OpenMP builds), Fedora/RHEL and others install the shared library. */
    private static final List<String> SYSTEM_PATHS = List.of(
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/openblas-openmp/libopenblas.so.0",
            "/usr/lib64/libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
            "/usr/lib/libopenblas.so.0");

    /** Kept reachable: JNA closes a library whose NativeLibrary is collected. */
    private static NativeLibrary system;

    private Blas() {
    }

    /** The setting in force: the system property, else the environment variable, else "bundled". */
    static String setting() {
        String value = System.getProperty(PROPERTY);
        if (value == null) {
            value = System.getenv(ENV);
        }
        return value == null || value.isBlank() ? "bundled" : value.strip();
    }

    /**
     * The library file {@code setting} names, or null for the bundled one; an IllegalArgumentException naming the
     * setting and what to do when it names nothing usable.
     */
    static Path library(String setting) {
        if (setting.equals("bundled")) {
            return null;
        }
        if (setting.equals("system")) {
            if (!Platform.isLinux()) {
                throw new IllegalArgumentException(source() + "=system is supported on Linux only");
            }
            return SYSTEM_PATHS.stream().map(Path::of).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(source() + "=system: no libopenblas.so.0 in "
                            + String.join(", ", SYSTEM_PATHS) + " (Debian/Ubuntu: apt-get install "
                            + "libopenblas0-pthread), or name the file, or unset it for the bundled OpenBLAS"));
        }
        Path file = Path.of(setting);
        if (!file.isAbsolute() || !Files.isRegularFile(file)) {
            throw new IllegalArgumentException(source() + " must be bundled, system or the absolute path of a "
                    + "libopenblas shared library, got '" + setting + "'" + (file.isAbsolute() ? " (no such file)" : ""));
        }
        return file;
    }

    /**
     * Opens the chosen library globally, before LibTorch loads; nothing for the bundled one. Once per process;
     * an IllegalArgumentException naming the setting when it names nothing usable.
     */
    static synchronized void select() {
        if (system != null) {
            return;
        }
        Path file = library(setting());
        if (file != null) {
            system = open(file);
        }
    }

    /** {@code file} opened with RTLD_GLOBAL, once checked to be a BLAS; an IllegalArgumentException if not. */
    static NativeLibrary open(Path file) {
        try {
            NativeLibrary library = NativeLibrary.getInstance(file.toString(),
                    Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_GLOBAL));
            library.getFunction("sgemm_"); // not a BLAS at all: refused here rather than by LibTorch
            // another BLAS would serve LibTorch through the global scope but not under the name libopenblas.so.0,
            // so describe() could not name it: OpenBLAS only
            library.getFunction("openblas_get_config");
            return library;
        } catch (UnsatisfiedLinkError e) {
            // JNA's message repeats the loader's reason on several lines; its last line is the reason
            String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().reduce((a, b) -> b).orElse("");
            throw new IllegalArgumentException(source() + ": cannot load " + file + " as a BLAS: " + reason.strip(), e);
        }
    }

    /**
     * The OpenBLAS LibTorch's products resolve to, once LibTorch is loaded.
     *
     * @param text version and build, the core type its kernels were chosen for, the file, and the setting
     * @param core the core type alone ("unknown" where this platform cannot tell): the part that decides the bits
     */
    record Described(String text, String core) {
    }

    /** {@link Described} for the library LibTorch's {@code torchLibrary} calls. */
    static Described describe(Path torchLibrary) {
        String setting = " (" + PROPERTY + "=" + setting() + ")";
        if (!Platform.isLinux() || torchLibrary == null) {
            return new Described("OpenBLAS" + setting, "unknown");
        }
        try {
            // dlsym on LibTorch's handle searches it and its dependencies, among them whichever library the
            // loader bound to the name libopenblas.so.0: the one LibTorch calls
            Pointer sgemm = NativeLibrary.getInstance(torchLibrary.toString()).getFunction("sgemm_");
            LibC.DlInfo info = new LibC.DlInfo();
            if (LibC.load().dladdr(sgemm, info) == 0 || info.dli_fname == null) {
                return new Described("OpenBLAS, file unknown" + setting, "unknown");
            }
            NativeLibrary blas = NativeLibrary.getInstance(info.dli_fname);
            String config = blas.getFunction("openblas_get_config").invokeString(new Object[0], false);
            String core = blas.getFunction("openblas_get_corename").invokeString(new Object[0], false).strip();
            return new Described(config.strip() + ", core " + core + ", " + info.dli_fname + setting, core);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return new Described("OpenBLAS, not identified: " + e.getMessage() + setting, "unknown");
        }
    }

    private static String source() {
        return System.getProperty(PROPERTY) != null ? PROPERTY : ENV;
    }
}
