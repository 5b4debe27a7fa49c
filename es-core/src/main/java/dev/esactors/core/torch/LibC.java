package dev.esactors.core.torch;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The few C library functions this package calls through JNA (glibc on Linux): malloc tuning and trimming for
 * {@link NativeHeap}, dladdr for {@link Blas} to name the file a symbol lies in, setenv for {@link CpuKernels} to
 * pin LibTorch's kernel level.
 */
interface LibC extends Library {

    /** Loads the C library; an UnsatisfiedLinkError where there is none to load. */
    static LibC load() {
        return Native.load("c", LibC.class);
    }

    /** mallopt(3): returns 1 on success, 0 on a value it refuses. */
    int mallopt(int parameter, int value);

    /** malloc_trim(3). */
    int malloc_trim(long pad);

    /** dladdr(3): non-zero when {@code address} lies in a loaded object, described in {@code info}. */
    int dladdr(Pointer address, DlInfo info);

    /** setenv(3): 0 on success; with {@code overwrite} 0 a variable already set keeps its value. */
    int setenv(String name, String value, int overwrite);

    /** glibc's Dl_info. */
    @Structure.FieldOrder({"dli_fname", "dli_fbase", "dli_sname", "dli_saddr"})
    final class DlInfo extends Structure {
        public String dli_fname;
        public Pointer dli_fbase;
        public String dli_sname;
        public Pointer dli_saddr;
    }
}
