package dev.esactors.core.torch;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The kept heap holds what tensors free, and hands it back when asked (Linux with glibc). */
class NativeHeapTest {

    @Test
    void freedTensorsStayInTheProcessUntilTheHeapIsTrimmed() {
        assumeTrue(Torch.nativeHeap().startsWith("malloc keeps freed memory"), Torch.nativeHeap());
        long mb = 1 << 20;
        // 24 tensors of 16 MiB: under the 32 MiB mmap threshold (so from the heap), 384 MiB in all (under the 512 MiB
        // trim threshold, so glibc keeps them once freed)
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < 24; i++) {
                torch.ones(4L * mb); // written, so resident
            }
        }
        long kept = DeviceMemory.residentBytes();
        Torch.releaseFreedMemory();
        long trimmed = DeviceMemory.residentBytes();
        assertTrue(kept - trimmed > 256 * mb, "the trim returned " + (kept - trimmed) / mb + " MiB of the 384 freed");
    }
}
