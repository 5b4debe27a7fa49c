package dev.esactors.rewards.conciseness;

import dev.esactors.rewards.Fuzz;
import dev.esactors.rewards.TestData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conciseness on MATH500 questions and answers: the length gap, raw and normalised. */
class ConcisenessTaskTest {

    @Test
    void rewardIsMinusTheLengthGapInCharacters() {
        ConcisenessTask raw = new ConcisenessTask(false);
        List<ConcisenessItem> items = raw.load(TestData.path("math/math500_test.jsonl"));
        assertEquals(500, items.size());
        ConcisenessItem item = items.get(1); // answer "p - q"
        assertEquals("p - q", item.answer());
        assertEquals(0.0, raw.score(item, "  p - q \n").reward());
        assertEquals(-4.0, raw.score(item, "p - q = 0").reward(), "9 characters against 5");
        ConcisenessTask normalised = new ConcisenessTask(true);
        assertEquals(1.0, normalised.score(item, "p - q").reward());
        assertEquals(1 - 4.0 / 5, normalised.score(item, "p - q = 0").reward(), 1e-12);
        assertEquals(0.0, normalised.score(item, "x".repeat(100)).reward());
        for (String s : Fuzz.adversarial()) {
            double r = normalised.score(item, s).reward();
            assertTrue(r >= 0 && r <= 1);
        }
    }
}
