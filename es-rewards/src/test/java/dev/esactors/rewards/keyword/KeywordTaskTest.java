package dev.esactors.rewards.keyword;

import dev.esactors.rewards.Fuzz;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The keyword reward counts whole words, case-insensitively, up to the cap. */
class KeywordTaskTest {

    @Test
    void countsWholeWordsUpToTheCap() {
        KeywordTask task = new KeywordTask("happy", 3);
        KeywordItem item = task.builtIn().get(0);
        assertEquals(16, task.builtIn().size());
        assertEquals(2.0, task.score(item, "She was Happy. The happy dog was unhappy and happyish.").reward());
        assertEquals(3.0, task.score(item, "happy happy happy happy happy").reward());
        assertEquals(0.0, task.score(item, "sad").reward());
        assertThrows(IllegalArgumentException.class, () -> new KeywordTask("two words", 3));
        for (String s : Fuzz.adversarial()) {
            double r = task.score(item, s).reward();
            assertTrue(r >= 0 && r <= 3);
        }
    }
}
