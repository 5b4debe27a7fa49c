package dev.esactors.core.es.update;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.SeedSchedule;
import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.RewardSanitizer;
import dev.esactors.core.es.update.Update;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shaping and the seed schedule: small pure functions with exact expectations. */
class FitnessShapingTest {

    @Test
    void zscoreUsesThePopulationStdPlusEpsilon() {
        double[] z = FitnessShaping.ZSCORE.apply(new double[] {1, 2, 3, 4});
        double std = Math.sqrt(1.25); // population std of 1..4
        assertArrayEquals(new double[] {-1.5 / (std + 1e-8), -0.5 / (std + 1e-8), 0.5 / (std + 1e-8),
                1.5 / (std + 1e-8)}, z, 1e-15);
        assertArrayEquals(new double[] {0, 0, 0}, FitnessShaping.ZSCORE.apply(new double[] {7, 7, 7}), 0.0,
                "equal rewards give a zero update, not NaN");
    }

    @Test
    void perPromptShapingStandardisesEachPromptAcrossThePopulationThenAverages() {
        // three members, two prompts: prompt 0 is easy (two of three right), prompt 1 hard (one of three)
        double[][] rows = {{1, 0}, {0, 0}, {1, 1}};
        double s = Math.sqrt(2.0 / 9) + 1e-8; // both columns' population std (+ epsilon)
        double[] z0 = {(1 - 2.0 / 3) / s, (0 - 2.0 / 3) / s, (1 - 2.0 / 3) / s};
        double[] z1 = {(0 - 1.0 / 3) / s, (0 - 1.0 / 3) / s, (1 - 1.0 / 3) / s};
        double[] hand = {(z0[0] + z1[0]) / 2, (z0[1] + z1[1]) / 2, (z0[2] + z1[2]) / 2};
        assertArrayEquals(hand, FitnessShaping.perPrompt(rows), 1e-12);
        assertArrayEquals(new double[] {0, -1.5 / Math.sqrt(2), 1.5 / Math.sqrt(2)}, FitnessShaping.perPrompt(rows),
                1e-6, "the same in closed form");
        // z-scoring the members' means instead weighs the prompts by their spread: another update
        double[] means = FitnessShaping.ZSCORE.apply(new double[] {0.5, 0, 1});
        assertTrue(Math.abs(means[1] - hand[1]) > 0.1, java.util.Arrays.toString(means));

        // through Update.fromRewards: member 1 failed (no row), so on each prompt it counts as that prompt's worst
        EsConfig config = EsConfig.paper(3).withPopulation(3, 0.01, 0.01).withShaping(FitnessShaping.PER_PROMPT,
                false);
        List<Member> members = config.schedule().members(0, 3, false);
        Update u = Update.fromRewards(config, 0, members, new double[] {0.5, Double.NaN, 1},
                new double[][] {{1, 0}, {}, {1, 1}});
        double t = Math.sqrt(2.0 / 9) + 1e-8;
        // prompt 0: {1, 1, 1} -> 0; prompt 1: {0, 0, 1}
        assertArrayEquals(new double[] {-1.0 / 3 / t / 2, -1.0 / 3 / t / 2, 2.0 / 3 / t / 2}, u.coefficients(), 1e-12);
        assertEquals(3, u.promptRewards().length, "the rows are kept for the journal and the evaluators");
        assertThrows(IllegalArgumentException.class, () -> Update.fromRewards(config, 0, members,
                new double[] {0.5, 0, 1}), "per-prompt shaping without per-prompt rewards");
        assertThrows(IllegalArgumentException.class, () -> FitnessShaping.PER_PROMPT.apply(new double[] {1, 2}));
        assertTrue(Update.fromRewards(config, 0, members, new double[] {0.5, 0.5, 0.5},
                new double[][] {{1, 0}, {1, 0}, {1, 0}}).skipped(), "alike on every prompt: no signal");
        assertTrue(!Update.fromRewards(config, 0, members, new double[] {0.5, 0.5, 0.5},
                new double[][] {{1, 0}, {0, 1}, {1, 0}}).skipped(), "equal means, different prompts: signal");
    }

    @Test
    void centeredRanksSpanMinusHalfToHalfAndShareTies() {
        assertArrayEquals(new double[] {0.5, -0.5, 0.0}, FitnessShaping.CENTERED_RANKS.apply(new double[] {9, -3, 4}), 1e-15);
        assertArrayEquals(new double[] {-0.5, 1.0 / 6, 1.0 / 6, 1.0 / 6},
                FitnessShaping.CENTERED_RANKS.apply(new double[] {0, 5, 5, 5}), 1e-15);
    }

    @Test
    void noneKeepsRawRewardsAndNonFiniteRewardsAreRefused() {
        double[] raw = {0.5, -2, 3};
        assertArrayEquals(raw, FitnessShaping.NONE.apply(raw), 0.0);
        assertThrows(IllegalArgumentException.class, () -> FitnessShaping.ZSCORE.apply(new double[] {1, Double.NaN}));
        assertArrayEquals(new double[] {1, 1, 3}, RewardSanitizer.finite(new double[] {1, Double.NaN, 3}), 0.0);
    }

    @Test
    void shuffledControlPermutesRewardsBeforeShapingAndKeepsTheRawOnes() {
        EsConfig plain = EsConfig.paper(3).withPopulation(6, 0.01, 0.01);
        EsConfig control = plain.withShuffledControl(true);
        List<Member> members = plain.schedule().members(4, 6, false);
        double[] rewards = {0, 1, 2, 3, 4, 5};
        Update real = Update.fromRewards(plain, 4, members, rewards);
        Update shuffled = Update.fromRewards(control, 4, members, rewards);
        assertArrayEquals(rewards, shuffled.rewards(), 0.0, "raw rewards are reported unshuffled");
        double[] a = real.coefficients().clone();
        double[] b = shuffled.coefficients().clone();
        assertTrue(!java.util.Arrays.equals(a, b), "the coefficients are permuted");
        java.util.Arrays.sort(a);
        java.util.Arrays.sort(b);
        assertArrayEquals(a, b, 0.0, "the same coefficients, in another order");
        assertArrayEquals(shuffled.coefficients(), Update.fromRewards(control, 4, members, rewards).coefficients(),
                0.0, "seeded");
        assertNotEquals(plain.hash(), control.hash(), "a control run is another run");
    }

    @Test
    void seedScheduleIsAPureFunctionWithDistinctSeeds() {
        SeedSchedule s = new SeedSchedule(42);
        assertEquals(s.seed(7, 3), new SeedSchedule(42).seed(7, 3));
        assertNotEquals(s.seed(7, 3), new SeedSchedule(43).seed(7, 3));
        Set<Long> seen = new HashSet<>();
        for (int t = 0; t < 100; t++) {
            for (int n = 0; n < 64; n++) {
                long seed = s.seed(t, n);
                assertEquals(true, seed >= 0);
                seen.add(seed);
            }
        }
        assertEquals(6400, seen.size());
    }

    @Test
    void antitheticMembersMirrorPairs() {
        List<Member> members = new SeedSchedule(1).members(5, 6, true);
        for (int k = 0; k < 3; k++) {
            assertEquals(members.get(2 * k).seed(), members.get(2 * k + 1).seed());
            assertEquals(1, members.get(2 * k).sign());
            assertEquals(-1, members.get(2 * k + 1).sign());
        }
        assertThrows(IllegalArgumentException.class, () -> new SeedSchedule(1).members(0, 5, true));
    }
}
