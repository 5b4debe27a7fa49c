package dev.esactors.train.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.actors.TestRuns;
import dev.esactors.train.study.Study;
import dev.esactors.train.study.StudyPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The run and study reports opened in a real browser (headless Chromium, 1280 pixels wide) as a user would: the page
 * fits the window, its sections come in their order, every chart has tick labels on both axes, and nothing is fetched
 * from the network. Screenshots go to target/report-screenshots/ for a person to look at. Without Chromium the test
 * is skipped, unless ES_REQUIRE_CHROMIUM=1 (set by .ci/run, which installs it).
 */
class ReportBrowserTest {

    private static final int WIDTH = 1280;
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * What a user sees of each chart: its x tick labels (the most numeric labels in its lower half drawn on one
     * line) and its y tick labels (the most in its left fifth sharing a left or a right edge), found by where they
     * are drawn, not by how the page names them.
     */
    private static final String LOOK = """
            (() => {
              const numeric = s => /^[-+\u2212]?[0-9][0-9.,]*(e[-+]?[0-9]+)?[%kMG]?$/i.test(s.trim());
              const most = (boxes, key) => {
                const counts = {};
                boxes.forEach(b => { const k = Math.round(key(b) / 2); counts[k] = (counts[k] || 0) + 1; });
                return Math.max(0, ...Object.values(counts));
              };
              const charts = [...document.querySelectorAll('svg')].map(svg => {
                const box = svg.getBoundingClientRect();
                const labels = [...svg.querySelectorAll('text')].filter(t => numeric(t.textContent))
                    .map(t => t.getBoundingClientRect());
                const bottom = labels.filter(b => b.top >= box.top + 0.5 * box.height);
                const left = labels.filter(b => b.right <= box.left + 0.2 * box.width);
                return {
                  x: most(bottom, b => b.top),
                  y: Math.max(most(left, b => b.left), most(left, b => b.right))
                };
              });
              return {
                width: document.documentElement.scrollWidth,
                sections: [...document.querySelectorAll('h2')].map(h => h.textContent.trim()),
                charts: charts
              };
            })()""";

    private static HeadlessChromium browser;

    @BeforeAll
    static void start() throws Exception {
        if (!HeadlessChromium.available()) {
            if ("1".equals(System.getenv("ES_REQUIRE_CHROMIUM"))) {
                fail("ES_REQUIRE_CHROMIUM=1 but " + HeadlessChromium.BINARY + " is missing (apt-get install chromium)");
            }
            Assumptions.abort("no Chromium here (apt-get install chromium)");
        }
        browser = new HeadlessChromium(WIDTH, 900);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void aRunReportFitsTheWindowAndChartsItsCurvesWithTicks(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        TestRuns.localRun(TestRuns.small(run, 0, Map.of("run.iterations", 6, "eval.every", 2,
                "eval.datasets", List.of(Path.of("../data/keyword/validation.jsonl").toAbsolutePath().toString()),
                "eval.batch", 24)));
        look(run.resolve("report.html"), "run-report", List.of("Summary", "Base vs final", "Training reward",
                "Held-out accuracy", "KL to the base model", "Weight drift", "Settings"));
    }

    @Test
    void aStudyReportFitsTheWindowAndShowsItsTablesAndCharts(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("study.conf"), """
                task { name = "keyword", options { word = "the" }, batch = 4, max-new-tokens = 8 }
                es.population = 4
                eval { datasets = ["%s", "%s"], batch = 24 }
                grpo { prompts = 2, group-size = 4 }
                study {
                  seeds = [1]
                  confirm-seeds = [2]
                  completions = 32
                  held-out-rounds = 2
                  controls = true
                  budgets = [0.5]
                  diagnostics { samples = 2, items = 24 }
                  arms = [
                    { name = "es", method = "es", axes = [ { key = "es.alpha", values = [0.0005, 0.001] } ] }
                    { name = "grpo", method = "grpo", axes = [ { key = "grpo.learning-rate", values = [1e-4] } ] }
                  ]
                }
                """.formatted(Path.of("../data/keyword/validation.jsonl").toAbsolutePath(),
                Path.of("../data/keyword/test.jsonl").toAbsolutePath()));
        Path out = dir.resolve("study");
        Study.run(StudyPlan.load(file, out), Study::inProcess, m -> { });
        look(out.resolve("report.html"), "study-report", List.of("Comparison", "Training reward",
                "Held-out accuracy", "Held-out accuracy against compute", "Budget sweep", "Controls",
                "What training did to the model", "Sensitivity", "Every setting"));
    }

    /** Opens {@code report}, screenshots it as {@code name}, and checks what a user sees. */
    private static void look(Path report, String name, List<String> sections) throws Exception {
        browser.open(report);
        browser.screenshot(Path.of("target", "report-screenshots", name + ".png"));
        JsonNode seen = JSON.readTree(JSON.writeValueAsString(browser.evaluate(LOOK)));
        List<String> problems = new ArrayList<>();
        if (seen.path("width").asInt() > WIDTH) {
            problems.add("the page is " + seen.path("width").asInt() + " pixels wide, more than the window's "
                    + WIDTH);
        }
        List<String> shown = new ArrayList<>();
        seen.path("sections").forEach(s -> shown.add(s.asText()));
        if (!shown.equals(sections)) {
            problems.add("its sections are " + shown + ", not " + sections);
        }
        if (seen.path("charts").isEmpty()) {
            problems.add("it has no chart");
        }
        int c = 0;
        for (JsonNode chart : seen.path("charts")) {
            c++;
            if (chart.path("x").asInt() < 3 || chart.path("y").asInt() < 3) {
                problems.add("chart " + c + " has " + chart.path("x").asInt() + " x and " + chart.path("y").asInt()
                        + " y tick labels (at least 3 each)");
            }
        }
        for (String url : browser.requested()) {
            if (!(url.startsWith("file:") || url.startsWith("data:") || url.startsWith("about:"))) {
                problems.add("it fetched " + url);
            }
        }
        assertTrue(problems.isEmpty(), name + ": " + String.join("; ", problems));
        assertEquals(report.toUri().toString(), browser.requested().get(0), "the report was the page opened");
    }
}
