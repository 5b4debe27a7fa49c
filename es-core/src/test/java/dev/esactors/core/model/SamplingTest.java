package dev.esactors.core.model;

import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void drawsFollowTheTemperedDistribution() {
        float[] logits = {0f, 1f, 2f, -1f, 0.5f};
        int rows = 400;
        int draws = 25;
        for (double topP : new double[] {1.0, 0.8}) {
            double[] expected = softmax(logits, 0.7);
            if (topP < 1) { // ranked 2 (0.70), 1 (0.17), 4, 0, 3: 4 comes after 0.87 > 0.8, and the rest with it
                expected[4] = 0;
                expected[0] = 0;
                expected[3] = 0;
            }
            double kept = Arrays.stream(expected).sum();
            Sampler sampler = Sampler.of(new SamplingConfig(0.7, topP, 2024));
            Tensor batch = TensorData.floats(repeat(logits, rows), rows, logits.length);
            long[] counts = new long[logits.length];
            for (int d = 0; d < draws; d++) {
                for (long token : TensorData.toLongs(sampler.next(batch))) {
                    counts[(int) token]++;
                }
            }
            double chiSquare = 0;
            int n = rows * draws;
            for (int v = 0; v < logits.length; v++) {
                if (expected[v] == 0) {
                    assertEquals(0, counts[v], "token " + v + " lies outside the top-p " + topP + " nucleus");
                } else {
                    double e = n * expected[v] / kept;
                    chiSquare += (counts[v] - e) * (counts[v] - e) / e;
                }
            }
            // chi-square's 0.999 quantile at 4 degrees of freedom (18.5) and at 1 (10.8, the nucleus of two)
            assertTrue(chiSquare < (topP < 1 ? 10.8 : 18.5), "top-p " + topP + ": counts " + Arrays.toString(counts)
                    + " against softmax(logits / 0.7) " + Arrays.toString(expected) + ", chi-square " + chiSquare);
        }
    }

    private static double[] softmax(float[] logits, double temperature) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int v = 0; v < p.length; v++) {
            p[v] = Math.exp(logits[v] / temperature);
            sum += p[v];
        }
        for (int v = 0; v < p.length; v++) {
            p[v] /= sum;
        }
        return p;
    }

    private static float[] repeat(float[] row, int times) {
        float[] out = new float[row.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(row, 0, out, i * row.length, row.length);
        }
        return out;
    }

    @Test
    void invalidSamplingSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(-1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 1.5, 0));
    }
}
