package dev.esactors.rewards.math;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The math reward on real benchmark files, equivalence rules, and hostile text. */
class MathTaskTest {

    private static final MathTask TASK = new MathTask();

    @Test
    void referenceSolutionsOfMath500ScoreOneForAtLeast98Percent() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(TestData.path("math/math500_test.jsonl"));
        assertEquals(500, lines.size());
        List<String> misses = new ArrayList<>();
        for (String line : lines) {
            JsonNode row = json.readTree(line);
            MathItem item = TASK.parseItem(row, "math500");
            Score score = TASK.score(item, row.get("solution").asText());
            if (score.reward() != 1) {
                misses.add(item.id() + ": boxed '" + score.extracted() + "' vs answer '" + item.answer() + "'");
            }
        }
        System.out.println("MATH500 reference solutions graded against 'answer': " + (500 - misses.size())
                + "/500 score 1; misses:");
        misses.forEach(m -> System.out.println("  " + m));
        assertTrue(misses.size() <= 10, misses.size() + " misses: " + misses);
    }

    @Test
    void everyBenchmarkLayoutLoads() {
        assertEquals(500, TASK.load(TestData.path("math/math500_test.jsonl")).size());
        List<MathItem> aime = TASK.load(TestData.path("math/aime24_test.jsonl"));
        assertEquals(30, aime.size());
        assertEquals("204", aime.get(0).answer());
        List<MathItem> amc = TASK.load(TestData.path("math/amc23_test.jsonl"));
        assertEquals(40, amc.size());
        assertEquals(1.0, TASK.score(amc.get(0), "so \\boxed{27}").reward(), "27 matches '27.0'");
        List<MathItem> minerva = TASK.load(TestData.path("math/minerva_math_test_first40.jsonl"));
        assertEquals(40, minerva.size());
        assertFalse(minerva.get(0).answer().isBlank(), "Minerva's answer is the boxed answer of its solution");
        List<MathItem> olympiad = TASK.load(TestData.path("math/olympiadbench_test_first40.jsonl"));
        assertEquals(40, olympiad.size());
        assertEquals(1.0, TASK.score(olympiad.get(0), "\\boxed{2}").reward(), olympiad.get(0).answer());
        List<MathItem> train = TASK.load(TestData.path("math/math_train_first200.jsonl"));
        assertEquals(200, train.size());
        assertEquals(1.0, TASK.score(train.get(0), "The answer is $\\boxed{" + train.get(0).answer() + "}$.").reward());
        assertTrue(TASK.userPrompt(train.get(0)).endsWith("put your final answer within \\boxed{}."));
    }

    @Test
    void equivalentSpellingsAreAccepted() {
        String[][] same = {
            {"\\dfrac{1}{2}", "\\frac12"}, {"0.5", "\\frac{1}{2}"}, {".5", "0.5"}, {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"},
            {"90^\\circ", "90"}, {"90", "90^{\\circ}"}, {"10,\\!080", "10080"}, {"11,\\! 111,\\! 111,\\! 100", "11111111100"},
            {"\\$32,\\!348", "32348"}, {"5.4 \\text{ cents}", "5.4"}, {"864 \\mbox{ inches}^2", "864"},
            {"x=5", "5"}, {"\\text{Evelyn}", "Evelyn"}, {"\\text{(C)}", "C"}, {"11\\sqrt2", "11\\sqrt{2}"},
            {"3, 5, 7", "7,5,3"}, {"1 \\pm \\sqrt{19}", "1-\\sqrt{19}, 1+\\sqrt{19}"}, {"2\\sqrt{3}", "\\sqrt{12}"},
            {"x^5 - x^4 + x^3 - x^2 + x - 1", "-1 + x - x^2 + x^3 - x^4 + x^5"}, {"(a+5)(b+2)", "ab+2a+5b+10"},
            {"\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", "(-\\frac13,\\frac23,\\frac53)"},
            {"50\\%", "0.5"}, {"27.0", "27"}, {"1\\frac{4}{5}", "1\\frac{4}{5}"}, {"\\frac{270}7\\text{ degrees}", "\\frac{270}{7}"},
            {"(-\\infty, 0]", "(-\\infty,0]"}, {"\\{1, 2\\}", "\\{2,1\\}"}, {"6 - 5i", "-5i+6"}, {"\\pi", "3.14159265358979"},
            {"(0,9) \\cup (9,36)", "(0,9)\\cup(9,36)"}, {"2^{10}", "1024"}, {"\\sqrt[3]{8}", "2"}, {"4!", "24"},
        };
        for (String[] pair : same) {
            assertTrue(MathEquivalence.equivalent(pair[0], pair[1]), pair[0] + " == " + pair[1]);
        }
    }

    @Test
    void differentAnswersAreRejected() {
        String[][] different = {
            {"\\frac{1}{3}", "0.33"}, {"(3,4]", "(3,4)"}, {"(1,2)", "(2,1)"}, {"x^2", "x^3"}, {"2", "-2"},
            {"1,2", "1,2,3"}, {"\\text{east}", "\\text{west}"}, {"52_8", "52"}, {"3\\sqrt{13}", "3\\sqrt{14}"},
            {"", "1"}, {"\\frac{1}{0}", "\\infty"}, {"10", "100"}, {"2k+2", "2k"},
        };
        for (String[] pair : different) {
            assertFalse(MathEquivalence.equivalent(pair[0], pair[1]), pair[0] + " != " + pair[1]);
        }
    }

    @Test
    void boxedExtractionTakesTheLastBalancedBox() {
        assertEquals("\\frac{a}{b}", Boxed.last("first \\boxed{1} then \\boxed{\\frac{a}{b}} end"));
        assertEquals("5", Boxed.last("so \\boxed 5$"));
        assertEquals("{1,2}", Boxed.last("\\fbox{{1,2}}"));
        assertEquals("3", Boxed.last("\\boxed{3} and a broken \\boxed{4"));
        assertEquals("42", Boxed.last("Thus the final answer is $42$. I hope"));
        assertEquals("x+1", Boxed.last("The final answer is: x+1\nDone"));
        Score none = TASK.score(new MathItem("q", "?", "1"), "I give up");
        assertEquals(0, none.reward());
        assertFalse(none.formatOk());
    }

    @Test
    @Timeout(120) // a hang guard, not a speed assertion
    void hostileTextNeverThrowsOrHangs() {
        MathItem item = new MathItem("q", "?", "\\frac{1}{2}");
        for (String s : Fuzz.strings(5, 3000, "\\boxed{}fracsqrt()[]^_0123456789+-*/,.xyz \\pi\\cdot%$")) {
            Score score = TASK.score(item, s);
            assertTrue(score.reward() == 0 || score.reward() == 1);
            MathEquivalence.equivalent(s, "\\frac{1}{2}");
            MathEquivalence.equivalent("(1,2)", s);
            LatexExpression.parse(s);
        }
        assertFalse(MathEquivalence.equivalent("\\sqrt{" .repeat(500) + "2", "2"));
        assertFalse(MathEquivalence.equivalent("9".repeat(5000), "1"));
    }

    @Test
    void datasetErrorsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.jsonl");
        Files.writeString(file, "{\"problem\": \"1+1?\", \"answer\": \"2\"}\n{\"problem\": \"?\"}\n");
        String m = assertThrows(DatasetException.class, () -> TASK.load(file)).getMessage();
        assertTrue(m.contains("m.jsonl:2") && m.contains("'answer'"), m);
        Files.writeString(file, "{\"answer\": \"2\"}\n");
        assertTrue(assertThrows(DatasetException.class, () -> TASK.load(file)).getMessage().contains("'problem'"));
    }
}
