package dev.esactors.core.torch;

import dev.esactors.core.testing.ChildJvm;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * LibTorch's kernel level is pinned to AVX2 on x86-64 unless the environment names one ({@link CpuKernels}). On a
 * machine with AVX-512 the first test fails when the pin does not reach LibTorch (it would report AVX512); there,
 * without the pin, a GRPO run's weights differ from an AVX2 machine's (LegacyRunResumeTest's pinned hash).
 */
class CpuKernelsTest {

    /** Prints Torch.cpuKernels(). */
    public static void main(String[] args) {
        System.out.println(Torch.cpuKernels());
    }

    @Test
    void libTorchRunsItsAvx2KernelsWhereTheEnvironmentNamesNoLevel() throws Exception {
        assumeTrue(System.getenv(CpuKernels.VARIABLE) == null, "this JVM's environment names a level");
        assumeTrue(hasAvx2(), "not an x86-64 Linux machine with AVX2");
        assertEquals("ATen CPU kernels AVX2 (ATEN_CPU_CAPABILITY=avx2, pinned so that runs repeat across machines)",
                Torch.cpuKernels());
    }

    @Test
    void aLevelTheEnvironmentNamesIsKept() throws Exception {
        List<String> lines = ChildJvm.run(CpuKernelsTest.class, List.of(), Map.of(CpuKernels.VARIABLE, "default"), 120);
        assertEquals("ATen CPU kernels DEFAULT (ATEN_CPU_CAPABILITY=default from the environment)",
                lines.get(lines.size() - 1));
    }

    private static boolean hasAvx2() throws Exception {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return false;
        }
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags")).findFirst().map(l -> l.contains(" avx2")).orElse(false);
        }
    }
}
