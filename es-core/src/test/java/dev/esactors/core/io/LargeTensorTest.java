package dev.esactors.core.io;

import dev.esactors.core.state.WeightsHash;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tensor of more than 2 GiB (a 7B model's fp32 embedding is 2.18 GB) is written, read back and hashed whole. Java
 * buffers hold at most 2 GiB, and JavaCPP clamps a buffer that would reach past that: its last bytes were left out
 * of the hash (two tensors differing there hashed alike) and could not be written or read.
 */
class LargeTensorTest {

    @TempDir
    Path dir;

    @Test
    void aTensorOfMoreThan2GiBIsWrittenReadAndHashedWhole() {
        long elements = (1L << 29) + 25; // 2 GiB + 100 bytes of float32
        Tensor t = torch.arange(new Scalar(elements), new TensorOptions(ScalarType.Float));
        String hash = WeightsHash.of(List.of("t"), List.of(t));
        Tensor changed = t.clone();
        changed.narrow(0, elements - 1, 1).fill_(new Scalar(-1.0)); // (+1 would round away at 5e8)
        assertNotEquals(hash, WeightsHash.of(List.of("t"), List.of(changed)), "the last bytes are hashed");
        changed.close();

        Path file = dir.resolve("large.safetensors");
        SafetensorsWriter.write(file, Map.of("t", t), Map.of());
        assertTrue(file.toFile().length() > elements * 4, "every byte written");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Tensor read = f.load("t");
            assertTrue(torch.equal(t, read), "read back as written");
            assertEquals(hash, WeightsHash.of(List.of("t"), List.of(read)));
        }
    }
}
