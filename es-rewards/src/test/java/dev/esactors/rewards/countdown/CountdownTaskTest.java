package dev.esactors.rewards.countdown;

import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.Fuzz;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Countdown on d1's 256 test problems, the paper's reward rules, and hostile answers. */
class CountdownTaskTest {

    private static final CountdownTask PAPER = new CountdownTask(CountdownTask.Variant.PAPER);
    private static final CountdownTask TINYZERO = new CountdownTask(CountdownTask.Variant.TINYZERO);

    @Test
    void compactPromptsAreAnsweredByTheEquationOnTheFirstLine() {
        CountdownTask compact = (CountdownTask) dev.esactors.rewards.catalog.Tasks.create("countdown",
                java.util.Map.of("prompt", "compact"));
        CountdownItem item = new CountdownItem("c", List.of(7, 25, 50), 82, "", "50+25+7");
        assertEquals("Reach 82 with 7 25 50\n", compact.userPrompt(item));
        assertEquals("", compact.assistantPrefix(item));
        assertEquals(CountdownTask.COMPACT_ANSWER_CHARS, compact.answerTokens(item));
        assertEquals(1.1, compact.score(item, "50+25+7").reward(), 1e-12);
        assertEquals(1.1, compact.score(item, " (50 + 25) + 7 \n3+7").reward(), 1e-12, "spaces, and a second line");
        assertEquals(0.1, compact.score(item, "50+25-7").reward(), 1e-12, "formed, wrong");
        assertEquals(0.1, compact.score(item, "50+25+7+3").reward(), 1e-12, "formed, a number not given");
        assertEquals(0.1, compact.score(item, "50+25\n+7").reward(), 1e-12, "only the first line counts");
        assertEquals(0.0, compact.score(item, "50+25+7=82").reward(), 1e-12, "'=' is not an expression character");
        assertEquals(0.0, compact.score(item, "\n50+25+7").reward(), 1e-12, "nothing on the first line");
        assertEquals("50+25+7", compact.score(item, "50+25+7\n").extracted());
        CountdownTask tinyzero = (CountdownTask) dev.esactors.rewards.catalog.Tasks.create("countdown",
                java.util.Map.of("prompt", "compact", "variant", "tinyzero"));
        assertEquals(1.0, tinyzero.score(item, "50+25+7").reward(), 1e-12);
        assertEquals(0.1, tinyzero.score(item, "7*7").reward(), 1e-12);
        assertEquals(0.0, tinyzero.score(item, "").reward(), 1e-12);
        // the instructed format is unchanged by the option's existence
        assertEquals(1.1, PAPER.score(item, " 50 + 25 + 7 </think>\n<answer>50+25+7</answer>").reward(), 1e-12);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> dev.esactors.rewards.catalog.Tasks.create("countdown", java.util.Map.of("prompt", "short")));
        assertTrue(bad.getMessage().contains("'prompt' must be instruct or compact"), bad.getMessage());
    }

    /** An independent brute-force solver: every order, operation and bracketing of the numbers, all used once. */
    static String solve(List<Integer> numbers, int target) {
        List<double[]> values = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int n : numbers) {
            values.add(new double[] {n});
            texts.add(Integer.toString(n));
        }
        return search(values, texts, target);
    }

    private static String search(List<double[]> values, List<String> texts, int target) {
        if (values.size() == 1) {
            return Math.abs(values.get(0)[0] - target) < 1e-9 ? texts.get(0) : null;
        }
        for (int i = 0; i < values.size(); i++) {
            for (int j = 0; j < values.size(); j++) {
                if (i == j) {
                    continue;
                }
                double a = values.get(i)[0];
                double b = values.get(j)[0];
                for (char op : "+-*/".toCharArray()) {
                    if (op == '/' && b == 0) {
                        continue;
                    }
                    double r = switch (op) {
                        case '+' -> a + b;
                        case '-' -> a - b;
                        case '*' -> a * b;
                        default -> a / b;
                    };
                    List<double[]> nextValues = new ArrayList<>();
                    List<String> nextTexts = new ArrayList<>();
                    for (int k = 0; k < values.size(); k++) {
                        if (k != i && k != j) {
                            nextValues.add(values.get(k));
                            nextTexts.add(texts.get(k));
                        }
                    }
                    nextValues.add(new double[] {r});
                    nextTexts.add("(" + texts.get(i) + " " + op + " " + texts.get(j) + ")");
                    String found = search(nextValues, nextTexts, target);
                    if (found != null) {
                        return found;
                    }
                }
            }
        }
        return null;
    }

    private static String wellFormed(String answer) {
        return " I try some combinations.</think>\n<answer>" + answer + "</answer>";
    }

    @Test
    void bruteForceSolutionsOfAllD1ProblemsScoreFull() {
        List<CountdownItem> items = PAPER.load(TestData.path("countdown/d1_countdown_cd3_test.jsonl"));
        assertEquals(256, items.size());
        for (CountdownItem item : items) {
            String solution = solve(item.numbers(), item.target());
            assertNotNull(solution, "d1 problem " + item.id() + " is solvable");
            Score paper = PAPER.score(item, wellFormed(solution));
            assertEquals(1.1, paper.reward(), 1e-12, item.id() + " " + solution + ": " + paper.reason());
            assertTrue(paper.answerOk() && paper.formatOk());
            assertEquals(1.0, TINYZERO.score(item, wellFormed(solution)).reward(), 1e-12);
        }
    }

    @Test
    void rulesForWrongAnswersAndMalformedTags() {
        CountdownItem item = new CountdownItem("t", List.of(30, 100, 93), 23, "", "");
        assertEquals(0.1, PAPER.score(item, wellFormed("100 - 93 + 30 - 0 * 0")).reward(), 1e-12,
                "extra numbers are not allowed: only the format counts");
        assertEquals(1.1, PAPER.score(item, wellFormed("30 - (100 - 93)")).reward(), 1e-12);
        assertEquals(0.1, PAPER.score(item, wellFormed("30 + 100 - 93")).reward(), 1e-12, "wrong value");
        assertEquals(0.1, PAPER.score(item, wellFormed("30 - (100 - 30)")).reward(), 1e-12, "reused number");
        assertEquals(0.1, PAPER.score(item, wellFormed("30 - (100 - 93) = 23")).reward(), 1e-12, "'=' not allowed");
        assertEquals(0.1, PAPER.score(item, wellFormed("30 - (100 - 93.0)")).reward(), 1e-12, "'.' not allowed");
        assertEquals(0.1, PAPER.score(item, wellFormed("30 / (93 - 93) + 100")).reward(), 1e-12, "division by zero");
        // format: no think close -> answer block only (0.5 x 0.1); no answer block -> think only (0.1 x 0.1)
        assertEquals(0.05 + 1, PAPER.score(item, " hmm <answer>30 - (100 - 93)</answer>").reward(), 1e-12);
        assertEquals(0.01, PAPER.score(item, " hmm </think> the answer is 23").reward(), 1e-12);
        assertEquals(0.06 + 1, PAPER.score(item, " a</think> b <answer>30 - (100 - 93)</answer>").reward(), 1e-12,
                "text between </think> and <answer> breaks the full format");
        assertEquals(1.1, PAPER.score(item, wellFormed("30 - (100 - 93)") + "\n").reward(), 1e-12,
                "one trailing newline is allowed, as Python's $");
        assertEquals(0.0, TINYZERO.score(item, " no answer here").reward());
        assertEquals(0.1, TINYZERO.score(item, wellFormed("1 + 2")).reward(), 1e-12);
        Score last = PAPER.score(item, " x</think>\n<answer>1</answer> <answer>30 - (100 - 93)</answer>");
        assertTrue(last.answerOk(), "the last answer counts: " + last);
    }

    @Test
    void generatedProblemsAreSolvableAndTheirSolutionsScore() {
        CountdownGenerator generator = new CountdownGenerator(12345);
        for (int i = 0; i < 200; i++) {
            CountdownItem item = generator.next(i % 2 == 0 ? 3 : 4);
            assertEquals(i % 2 == 0 ? 3 : 4, item.numbers().size());
            assertTrue(item.target() >= 1 && item.target() <= 1000);
            assertEquals(1.1, PAPER.score(item, wellFormed(item.solution())).reward(), 1e-12, item.toString());
        }
        assertEquals(new CountdownGenerator(7).next(4), new CountdownGenerator(7).next(4), "seeded");
    }

    @Test
    @Timeout(120) // a hang guard, not a speed assertion
    void hostileAnswersNeverThrowOrHang() {
        CountdownItem item = new CountdownItem("t", List.of(1, 2, 3), 6, "", "");
        for (String s : Fuzz.strings(99, 3000, "0123456789+-*/() <answer></answer><think></think>\n.=e")) {
            Score score = PAPER.score(item, s);
            assertTrue(score.reward() >= 0 && score.reward() <= 1.1);
            Score tz = TINYZERO.score(item, s);
            assertTrue(tz.reward() >= 0 && tz.reward() <= 1.0);
            OptionalDouble value = Arithmetic.evaluate(s);
            assertTrue(value.isEmpty() || Double.isFinite(value.getAsDouble()));
        }
        assertTrue(Arithmetic.evaluate("(".repeat(5000) + "1" + ")".repeat(5000)).isEmpty(), "nesting is bounded");
        assertTrue(Arithmetic.evaluate("1/0").isEmpty());
        assertEquals(7.0, Arithmetic.evaluate(" -(1 + 2) * -2 + 1 ").getAsDouble());
        assertTrue(Arithmetic.evaluate("999999999999999999999").isEmpty(), "numbers are bounded");
    }

    @Test
    void datasetErrorsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("cd.jsonl");
        Files.writeString(file, "{\"input\": \"1,2,3\", \"output\": \"6\"}\n{\"input\": \"1,2\"}\n");
        String m = assertThrows(DatasetException.class, () -> PAPER.load(file)).getMessage();
        assertTrue(m.contains("cd.jsonl:2") && m.contains("'output'"), m);
        Files.writeString(file, "{\"input\": \"1,2,3\", \"output\": \"6\"}\n\n{\"input\": \"1,2,3\", \n");
        String bad = assertThrows(DatasetException.class, () -> PAPER.load(file)).getMessage();
        assertTrue(bad.contains("cd.jsonl:3") && bad.contains("bad JSON"), bad);
        Files.writeString(file, "{\"numbers\": [1, \"x\"], \"target\": 3}\n");
        assertTrue(assertThrows(DatasetException.class, () -> PAPER.load(file)).getMessage().contains("'numbers'"));
        assertFalse(PAPER.userPrompt(new CountdownItem("a", List.of(1, 2), 3, "", "")).isEmpty());
    }
}
