package dev.esactors.rewards.countdown;

import dev.esactors.rewards.Score;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped Countdown sets (data/countdown) are what data/PROVENANCE.md says made them, every problem can be
 * solved, and no problem is in two sets or among the generated training problems.
 */
class CountdownSetsTest {

    private static final Path DATA = Path.of("..", "data", "countdown"); // the repository's, as presets read it
    private static final String[] FILES = {"validation_500.jsonl", "test_500.jsonl", "clean_test_1000.jsonl"};
    private static final long[] SEEDS = {2026120701L, 2026120702L, 2026120703L};
    private static final String[] PREFIXES = {"validation", "test", "clean_test"};

    private static final CountdownTask COMPACT = new CountdownTask(CountdownTask.Variant.PAPER,
            CountdownTask.PromptStyle.COMPACT, 0, List.of());

    @Test
    void theShippedSetsAreTheDocumentedGeneratorsOutput() throws IOException {
        List<String> earlier = new ArrayList<>();
        for (int s = 0; s < FILES.length; s++) {
            List<String> lines = Files.readAllLines(DATA.resolve(FILES[s]));
            List<CountdownItem> expected = CountdownSets.generate(SEEDS[s], lines.size(), earlier, PREFIXES[s]);
            for (int i = 0; i < lines.size(); i++) {
                assertEquals(expected.get(i).toJson().toString(), lines.get(i), FILES[s] + " line " + (i + 1));
            }
            expected.forEach(item -> earlier.add(CountdownSets.key(item)));
        }
    }

    @Test
    void everyProblemIsSolvableAndItsListedSolutionScoresRight() {
        for (String file : FILES) {
            for (CountdownItem item : COMPACT.load(DATA.resolve(file))) {
                int n = item.numbers().size();
                assertTrue(n == 3 || n == 4, item.id());
                assertTrue(item.target() >= 1 && item.target() <= CountdownSets.MAX_TARGET, item.id());
                assertNotNull(CountdownTaskTest.solve(item.numbers(), item.target()), item.id() + " has no solution");
                Score listed = COMPACT.score(item, item.solution() + "\nanything after the line");
                assertTrue(listed.answerOk(), item.id() + ": " + item.solution() + ": " + listed.reason());
                assertEquals(1.1, listed.reward(), 1e-12);
            }
        }
    }

    @Test
    void noProblemIsInTwoSetsOrAmongTheTrainingProblems() {
        Set<String> seen = new HashSet<>();
        List<Path> sets = new ArrayList<>();
        for (String file : FILES) {
            sets.add(DATA.resolve(file));
            for (CountdownItem item : COMPACT.load(DATA.resolve(file))) {
                assertTrue(seen.add(CountdownSets.key(item)), item.id() + " repeats " + CountdownSets.key(item));
            }
        }
        List<CountdownItem> training = new CountdownTask(CountdownTask.Variant.PAPER,
                CountdownTask.PromptStyle.COMPACT, 20_000, sets).builtIn();
        assertEquals(20_000, training.size());
        Set<String> trainingKeys = new HashSet<>();
        for (CountdownItem item : training) {
            assertFalse(seen.contains(CountdownSets.key(item)), item.id() + " is an evaluation problem");
            assertTrue(trainingKeys.add(CountdownSets.key(item)), item.id() + " repeats");
        }
        // without the exclusion the training stream does meet evaluation problems: the check above can fail
        long met = CountdownSets.generate(CountdownTask.TRAINING_SEED, 20_000, List.of(), "train").stream()
                .filter(item -> seen.contains(CountdownSets.key(item))).count();
        assertTrue(met > 0, "the unfiltered stream meets no evaluation problem");
    }
}
