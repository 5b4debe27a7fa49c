package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random initialisation from a config and a seed is deterministic and shaped by the layout. */
class RandomInitTest {

    private static final ModelConfig SMALL = new ModelConfig(Architecture.QWEN2, 48, 96, 2, 6, 2, 8, 97, 256, 1e-6,
            RopeConfig.plain(1e6), false, true, false, false, 1, List.of(2), -1, 0.02);

    @Test
    void sameSeedGivesIdenticalWeightsAndDifferentSeedsDiffer() {
        Decoder a = ModelLoader.random(SMALL, 7, DeviceSpec.CPU, DType.F32);
        Decoder b = ModelLoader.random(SMALL, 7, DeviceSpec.CPU, DType.F32);
        Decoder c = ModelLoader.random(SMALL, 8, DeviceSpec.CPU, DType.F32);
        assertEquals(ParameterLayout.of(SMALL).size(), a.parameters().size());
        for (String name : a.parameters().keySet()) {
            assertTrue(a.parameters().get(name).equal(b.parameters().get(name)), name);
        }
        assertFalse(a.parameters().get("lm_head.weight").equal(c.parameters().get("lm_head.weight")));
        assertEquals(SMALL.parameterCount(), a.parameters().values().stream().mapToLong(t -> t.numel()).sum());
    }

    @Test
    void randomModelDecodesDeterministically() {
        Decoder a = ModelLoader.random(SMALL, 11, DeviceSpec.CPU, DType.F32);
        Decoder b = ModelLoader.random(SMALL, 11, DeviceSpec.CPU, DType.F32);
        List<int[]> prompts = List.of(new int[] {1, 5, 9}, new int[] {1});
        int[] fromA = new BatchGenerator(a).generate(prompts, 16, Set.of(), SamplingConfig.GREEDY).get(0).tokens();
        int[] fromB = new BatchGenerator(b).generate(prompts, 16, Set.of(), SamplingConfig.GREEDY).get(0).tokens();
        assertEquals(16, fromA.length);
        assertArrayEquals(fromA, fromB);
    }
}
