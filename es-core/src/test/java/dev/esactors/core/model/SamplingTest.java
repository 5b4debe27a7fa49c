package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Seeded temperature/top-p sampling: seed in, same tokens out. */
class SamplingTest {

    private static Decoder decoder;
    private static final List<int[]> PROMPTS = List.of(new int[] {1}, new int[] {1, 403, 407});

    @BeforeAll
    static void load() {
        decoder = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
    }

    private static int[] sample(SamplingConfig config, int index) {
        return new BatchGenerator(decoder).generate(PROMPTS, 48, Set.of(), config).get(index).tokens();
    }

    @Test
    void sameSeedGivesSameTokens() {
        SamplingConfig config = new SamplingConfig(1.0, 0.95, 1234);
        assertArrayEquals(sample(config, 0), sample(config, 0));
        assertArrayEquals(sample(config, 1), sample(config, 1));
    }

    @Test
    void differentSeedsGiveDifferentTokens() {
        assertFalse(java.util.Arrays.equals(sample(new SamplingConfig(1.0, 1.0, 1), 0),
                sample(new SamplingConfig(1.0, 1.0, 2), 0)));
    }

    @Test
    void tinyTopPIsGreedy() {
        assertArrayEquals(sample(SamplingConfig.GREEDY, 0), sample(new SamplingConfig(1.0, 1e-9, 99), 0));
        assertArrayEquals(sample(SamplingConfig.GREEDY, 1), sample(new SamplingConfig(0.7, 1e-9, 5), 1));
    }

    @Test
    void invalidSamplingSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(-1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 1.5, 0));
    }
}
