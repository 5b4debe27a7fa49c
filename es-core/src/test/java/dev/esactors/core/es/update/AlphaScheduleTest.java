package dev.esactors.core.es.update;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.update.AlphaSchedule;
import dev.esactors.core.es.update.Update;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlphaScheduleTest {

    @Test
    void cosineFallsFromAlphaToTheFinalValueAndStaysThere() {
        AlphaSchedule cosine = new AlphaSchedule.Cosine(0.001, 100);
        assertEquals(0.009, cosine.at(0.009, 0), 1e-15);
        assertEquals(0.005, cosine.at(0.009, 50), 1e-15, "half way: the mean of both ends");
        assertEquals(0.001, cosine.at(0.009, 100), 0);
        assertEquals(0.001, cosine.at(0.009, 1000), 0);
        for (int t = 1; t <= 100; t++) {
            assertTrue(cosine.at(0.009, t) < cosine.at(0.009, t - 1), "falls at every step, t=" + t);
        }
        assertEquals(0.009, AlphaSchedule.CONSTANT.at(0.009, 77), 0);
        assertThrows(IllegalArgumentException.class, () -> new AlphaSchedule.Cosine(-0.1, 10));
        assertThrows(IllegalArgumentException.class, () -> new AlphaSchedule.Cosine(0, 0));
    }

    @Test
    void theReducerStepsWithItsIterationsAlphaAndTheHashTellsSchedulesApart() {
        EsConfig constant = EsConfig.paper(3).withPopulation(4, 0.01, 0.008);
        EsConfig cosine = constant.withAlphaSchedule(new AlphaSchedule.Cosine(0.002, 10));
        double[] rewards = {0.1, 0.4, 0.2, 0.3};
        for (long t : new long[] {0, 5, 12}) {
            Update u = Update.fromRewards(cosine, t, cosine.schedule().members(t, 4, false), rewards);
            assertEquals(cosine.alphaAt(t), u.alpha(), 0);
            assertEquals(0.008, Update.fromRewards(constant, t, constant.schedule().members(t, 4, false),
                    rewards).alpha(), 0);
        }
        assertEquals(0.002, cosine.alphaAt(12), 0);
        assertNotEquals(constant.hash(), cosine.hash());
        assertNotEquals(cosine.hash(), constant.withAlphaSchedule(new AlphaSchedule.Cosine(0.002, 11)).hash());
        assertEquals(constant.hash(), constant.withAlphaSchedule(AlphaSchedule.CONSTANT).hash());
    }
}
