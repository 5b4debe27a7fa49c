package dev.esactors.train.study;

import dev.esactors.train.StepLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A small study in this process: what it keeps, what it refuses to mistake for its own, and what its report shows. */
class StudyTest {

    private static final String KEYS = """
            task { name = "keyword", options { word = "happy" }, batch = 4, max-new-tokens = %d }
            es.population = 4
            eval { datasets = ["%s", "%s"], batch = 24 }
            study {
              seeds = [1]
              completions = 32
              held-out-rounds = 1
              arms = [ { name = "es", method = "es", axes = [ { key = "task.system", values = ["plain", "%s"] } ] } ]
            }
            """;

    private static Path file(Path dir, int maxNewTokens) throws Exception {
        return Files.writeString(dir.resolve("study.conf"), KEYS.formatted(maxNewTokens,
                Path.of("../data/keyword/validation.jsonl").toAbsolutePath(),
                Path.of("../data/keyword/test.jsonl").toAbsolutePath(), "<script>alert(1)</script>"));
    }

    @Test
    void aStudyKeepsItsRunsRefusesStaleOnesAndEscapesWhatItWrites(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        StudySummary summary = Study.run(StudyPlan.load(file(dir, 8), out), Study::inProcess, m -> { });
        assertEquals(2, summary.results().size());
        for (StudyResult r : summary.results()) {
            assertEquals(64, r.runFile().length(), "each result names the run file it was made from");
            assertTrue(r.cost().flops() > 2.0 * 260_032 * r.cost().generatedTokens(), "and estimates its FLOPs, "
                    + "prompts included: " + r.cost());
            assertEquals(24, Files.readString(out.resolve("runs").resolve(r.name()).resolve(StudySummary.TEST_ITEMS))
                    .trim().length(), "and which of the 24 test items it got right");
        }
        // The same study again keeps both runs
        List<String> notes = new ArrayList<>();
        Study.run(StudyPlan.load(file(dir, 8), out), run -> {
            throw new AssertionError("ran " + run.name() + " again");
        }, notes::add);
        assertTrue(notes.stream().allMatch(n -> n.endsWith("done before, kept")), notes.toString());
        // A run whose process died before its result was saved resumes from its checkpoint, and its cost counts what
        // the earlier process spent on the steps it keeps: here as if each had taken 1,000 core-seconds, 2,000 s
        StudyResult first = summary.results().get(0);
        Path runDir = out.resolve("runs").resolve(first.name());
        List<String> steps = Files.readAllLines(runDir.resolve(StepLog.COUNTS)).stream().map(line -> {
            String[] column = line.split(" ");
            column[StepLog.CORE_SECONDS] = "1000";
            column[StepLog.WALL_SECONDS] = "2000";
            return String.join(" ", column);
        }).toList();
        Files.write(runDir.resolve(StepLog.COUNTS), steps);
        Files.delete(runDir.resolve(StudyResult.FILE));
        StudyResult resumed = Study.run(StudyPlan.load(file(dir, 8), out), Study::inProcess, m -> { }).results()
                .stream().filter(r -> r.name().equals(first.name())).findFirst().orElseThrow();
        assertEquals(first.hash(), resumed.hash());
        assertTrue(resumed.cost().cpuSeconds() >= 1000 * steps.size() && resumed.cost().seconds()
                >= 2000 * steps.size(), steps.size() + " steps kept: " + resumed.cost());
        assertTrue(first.cost().cpuSeconds() < 1000, "the run itself took less: " + first.cost());
        // A key of the runs changed (their answers' length): the old results are not this study's
        IllegalStateException stale = assertThrows(IllegalStateException.class, () -> Study.run(
                StudyPlan.load(file(dir, 10), out), Study::inProcess, m -> { }));
        assertTrue(stale.getMessage().contains("was made from another run file"), stale.getMessage());
        // A value written into the report is shown, never run: the axis value holds a script tag
        String report = Files.readString(out.resolve("report.html"));
        assertFalse(report.contains("<script>"), "the report carries no script from the study file");
        assertTrue(report.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "it shows the value escaped");
    }

    @Test
    void eachArmIsComparedWithTheOtherMethodsBestArmAndTheTwoBestArmsWithEachOther(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("study.conf"), """
                task { name = "keyword", options { word = "the" }, batch = 4, max-new-tokens = 8 }
                es.population = 4
                grpo { prompts = 4, group-size = 4 }
                eval { datasets = ["%s", "%s"], batch = 24 }
                study {
                  seeds = [1, 2]
                  completions = 32
                  held-out-rounds = 1
                  arms = [
                    { name = "es-a", method = "es", set { es.alpha = 0.0005 } }
                    { name = "es-b", method = "es", set { es.alpha = 0.002 } }
                    { name = "grpo", method = "grpo", set { grpo.learning-rate = 1e-3 } }
                    { name = "grpo-b", method = "grpo", set { grpo.learning-rate = 7e-4 } }
                  ]
                }
                """.formatted(Path.of("../data/keyword/validation.jsonl").toAbsolutePath(),
                Path.of("../data/keyword/test.jsonl").toAbsolutePath()));
        StudySummary summary = Study.run(StudyPlan.load(file, dir.resolve("out")), Study::inProcess, m -> { });
        List<StudySummary.ArmLine> ranked = new ArrayList<>(summary.arms());
        ranked.sort(java.util.Comparator.comparingDouble(StudySummary.ArmLine::validation).reversed());
        StudySummary.ArmLine es = ranked.stream().filter(l -> l.method().equals("es")).findFirst().orElseThrow();
        StudySummary.ArmLine grpo = ranked.stream().filter(l -> l.method().equals("grpo")).findFirst().orElseThrow();
        List<StudySummary.Paired> paired = summary.paired();
        StudySummary.Paired first = paired.get(0);
        assertEquals(java.util.Set.of(es.arm(), grpo.arm()), java.util.Set.of(first.first(), first.second()),
                "the methods' best arms first: " + paired);
        assertEquals(ranked.indexOf(es) < ranked.indexOf(grpo) ? es.arm() : grpo.arm(), first.first());
        assertEquals(es.testAccuracy() - grpo.testAccuracy(), (first.first().equals(es.arm()) ? 1 : -1)
                * first.difference(), 1e-9, "the difference of the two arms' mean test accuracies");
        StudySummary.ArmLine firstArm = first.first().equals(es.arm()) ? es : grpo;
        StudySummary.ArmLine secondArm = firstArm == es ? grpo : es;
        assertEquals(firstArm.testAccuracySd(), first.sdFirst(), 1e-12, "its spread over seeds, as the arm's line");
        assertEquals(secondArm.testAccuracySd(), first.sdSecond(), 1e-12);
        assertEquals(first.sdFirst() == 0 || first.sdSecond() == 0, Double.isNaN(first.varianceP()), first.toString());
        // then each other arm against the other method's best, in validation's order within a pair
        for (StudySummary.ArmLine other : ranked) {
            StudySummary.ArmLine best = other.method().equals("es") ? grpo : es;
            List<String> pair = ranked.indexOf(other) < ranked.indexOf(best)
                    ? List.of(other.arm(), best.arm()) : List.of(best.arm(), other.arm());
            assertEquals(1, paired.subList(0, 3).stream().filter(p -> List.of(p.first(), p.second()).equals(pair))
                    .count(), other.arm() + " against " + best.arm() + ": " + paired);
        }
        // here the two GRPO arms lead validation (their seeds' runs are bit-exact): the last comparison is theirs
        java.util.Set<String> topTwo = java.util.Set.of(ranked.get(0).arm(), ranked.get(1).arm());
        assertEquals(java.util.Set.of("grpo", "grpo-b"), topTwo, ranked.toString());
        assertEquals(4, paired.size(), paired.toString());
        assertEquals(List.of(ranked.get(0).arm(), ranked.get(1).arm()), List.of(paired.get(3).first(),
                paired.get(3).second()));
        assertEquals(paired.size(), summary.lines().stream().filter(l -> l.startsWith("paired: ")).count());
    }

    private static final String FINALS = """
            task { name = "keyword", options { word = "the" }, batch = 4, max-new-tokens = 8 }
            es.population = 4
            eval { datasets = ["%s", "%s"], batch = 24 }
            study {
              seeds = [1]
              confirm-seeds = [2]
              completions = 32
              held-out-rounds = 1
              controls = true
              budgets = [0.5]
              diagnostics { samples = 2, items = 24 }
              arms = [ { name = "es", method = "es", axes = [ { key = "es.alpha", values = [0.0005, 0.001] } ] } ]
            }
            """;

    @Test
    void theLastStageRunsControlsAndOtherBudgetsAtTheChosenSettingAndDiagnosesItsRuns(@TempDir Path dir)
            throws Exception {
        Path file = Files.writeString(dir.resolve("study.conf"), FINALS.formatted(
                Path.of("../data/keyword/validation.jsonl").toAbsolutePath(),
                Path.of("../data/keyword/test.jsonl").toAbsolutePath()));
        Path out = dir.resolve("out");
        StudyPlan plan = StudyPlan.load(file, out);
        // two settings screened; the chosen one confirmed, controlled and run at half the budget on both seeds
        assertEquals(2 + 1 + 1 + 2, plan.scheduled());
        StudyPlan.PlannedRun control = plan.runs().stream().filter(r -> r.stage() == StudyPlan.Stage.CONTROL)
                .findFirst().orElseThrow();
        assertTrue(control.config().es().shuffledControl(), "a control learns from shuffled rewards");
        StudyPlan.PlannedRun half = plan.runs().stream().filter(r -> r.stage() == StudyPlan.Stage.BUDGET)
                .findFirst().orElseThrow();
        assertEquals(1, half.config().iterations(), "16 of the 32 completions: one iteration of 4 x 4");
        assertEquals(2, plan.runs().stream().filter(r -> r.stage() == StudyPlan.Stage.SCREENING)
                .findFirst().orElseThrow().config().iterations());

        // Without its last stage first (a study that must fit the time at hand): screening and confirmation only
        StudyPlan early = plan.withoutFinals();
        assertEquals(2 + 1, early.scheduled());
        List<String> earlyNotes = new ArrayList<>();
        assertEquals(3, Study.run(early, Study::inProcess, earlyNotes::add).results().size(), earlyNotes.toString());
        assertTrue(StudyDiagnostics.ofBase(out).isEmpty(), "no diagnostics without the last stage");
        // then the whole plan in the same directory keeps those three runs and adds the last stage
        List<String> notes = new ArrayList<>();
        StudySummary summary = Study.run(plan, Study::inProcess, notes::add);
        assertEquals(6, summary.results().size(), notes.toString());
        assertEquals(3, notes.stream().filter(n -> n.endsWith("done before, kept")).count(), notes.toString());
        StudySummary.ArmLine arm = summary.arms().get(0);
        assertEquals(2, arm.seeds(), "the comparison rests on the screening and confirmation runs only");
        String chosen = arm.best();
        assertEquals(5, summary.results().stream().filter(r -> r.value().equals(chosen)).count(),
                "confirmation, control and budget runs only at the chosen setting: " + summary.results());
        // Diagnostics: the base model's and each compared run's, whose greedy score is its final table's
        StudyDiagnostics.Diagnosis base = StudyDiagnostics.ofBase(out).orElseThrow();
        assertEquals(24, base.items());
        assertEquals(2, base.passAtK().length);
        assertTrue(base.passAt(2) >= base.passAt(1));
        int diagnosed = 0;
        for (StudyResult r : summary.results()) {
            java.util.Optional<StudyDiagnostics.Diagnosis> d = StudyDiagnostics.ofRun(out.resolve("runs")
                    .resolve(r.name()));
            StudyPlan.Stage stage = plan.stageOf(r.name());
            assertEquals(stage.compared() && r.value().equals(chosen), d.isPresent(), r.name() + " " + stage);
            if (d.isPresent()) {
                diagnosed++;
                assertEquals(r.testAccuracy(), d.get().greedy(), 1e-12, "the same weights, items and batch");
                assertTrue(d.get().greedy() > 0, "a word the model writes, so that the check above can fail");
                assertTrue(d.get().kl() >= 0 && d.get().drift().containsKey("mlp"), d.get().toString());
            }
        }
        assertEquals(2, diagnosed);
        String report = Files.readString(out.resolve("report.html"));
        for (String section : List.of("Budget sweep", "Controls", "What training did to the model", "x0.5",
                "Held-out accuracy against compute")) {
            assertTrue(report.contains(section), "the report shows " + section);
        }
        String csv = Files.readString(out.resolve("summary.csv"));
        assertTrue(csv.contains(",control\n") && csv.contains(",budget\n") && csv.contains(",confirmation\n"), csv);

        // Resumed: nothing runs again, nothing is sampled again
        List<String> again = new ArrayList<>();
        Study.run(StudyPlan.load(file, out), run -> {
            throw new AssertionError("ran " + run.name() + " again");
        }, again::add);
        assertTrue(again.stream().noneMatch(n -> n.startsWith("diagnostics")), again.toString());
    }

    @Test
    void lastStageKeysAreChecked(@TempDir Path dir) throws Exception {
        for (String bad : List.of("budgets = [1]", "budgets = [0.5, 0.5]", "budgets = [-2]",
                "diagnostics { samples = 0 }", "diagnostics { sample = 8 }")) {
            String replaced = bad.startsWith("budgets") ? "budgets = [0.5]" : "diagnostics { samples = 2, items = 24 }";
            Path file = Files.writeString(dir.resolve("bad.conf"), FINALS.formatted("a.jsonl", "b.jsonl")
                    .replace(replaced, bad));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StudyPlan.load(file, dir.resolve("out")), bad);
            assertTrue(e.getMessage().contains(bad.startsWith("budgets") ? "study.budgets" : "study.diagnostics")
                    && e.getMessage().contains("bad.conf"), e.getMessage());
        }
    }

    @Test
    void flopsCountEveryForwardAndBackwardPassOverPromptsAndCompletions(@TempDir Path dir) {
        var es = dev.esactors.actors.TestRuns.small(dir.resolve("es"), 0, java.util.Map.of());
        long p = RunCosts.parameters(es);
        assertEquals(260_032, p, "stories260K");
        // ES: a forward over 1,000 prompt and 500 generated tokens, 2 FLOPs per parameter each
        assertEquals(2.0 * p * 1500, RunCosts.flops(es, 1000, 500, 0));
        // GRPO, 2 passes and a KL term: sampling 2P x 1,500; per pass a forward and backward (6P) over the prompts
        // and 600 completion tokens (1,200 trained over 2 passes); an old-policy and a reference forward (2P each)
        var grpo = dev.esactors.actors.TestRuns.small(dir.resolve("grpo"), 0, java.util.Map.of("method", "grpo",
                "grpo.passes", 2, "grpo.kl-beta", 0.1));
        assertEquals(p * (2.0 * 1500 + 6.0 * 1600 * 2 + 2.0 * 1600 * 2), RunCosts.flops(grpo, 1000, 500, 1200));
    }
}
