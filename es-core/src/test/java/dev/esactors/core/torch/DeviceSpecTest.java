package dev.esactors.core.torch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device names as PyTorch spells them, and a clear refusal of a device this build cannot reach. */
class DeviceSpecTest {

    @Test
    void parsesCpuAndCudaNames() {
        assertEquals(DeviceSpec.CPU, DeviceSpec.parse("cpu"));
        assertEquals(new DeviceSpec("cuda", 0), DeviceSpec.parse("cuda"));
        assertEquals(new DeviceSpec("cuda", 3), DeviceSpec.parse(" cuda:3 "));
        assertEquals("cuda:3", DeviceSpec.parse("cuda:3").toString());
    }

    @Test
    void refusesMalformedNames() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cpu:1", "", "CUDA:0x"}) {
            assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(bad), bad);
        }
    }

    @Test
    void cudaOnACpuBuildIsAClearError() {
        // CI and these machines have no GPU; on a GPU build with a GPU this test has nothing to check.
        Torch.load();
        if (!org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            String m = assertThrows(IllegalStateException.class, () -> DeviceSpec.parse("cuda:0").toTorch()).getMessage();
            assertTrue(m.contains("CUDA is not available"), m);
        }
        assertTrue(DeviceSpec.CPU.toTorch().is_cpu());
    }

    @Test
    void threadCountIsAppliedAndValidated() {
        int before = Torch.threads();
        Torch.setThreads(1);
        assertEquals(1, Torch.threads());
        Torch.setThreads(before);
        assertThrows(IllegalArgumentException.class, () -> Torch.setThreads(0));
    }
}
