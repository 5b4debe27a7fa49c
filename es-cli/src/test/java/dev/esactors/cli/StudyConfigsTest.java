package dev.esactors.cli;

import com.typesafe.config.ConfigFactory;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import dev.esactors.train.study.StudyPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped run files parse, and the study files into their grids, every run at the same sampling cost. */
class StudyConfigsTest {

    @Test
    void theShippedStudiesPlanTheirGridsAtEqualCost() {
        for (String name : new String[] {"study-keyword", "study-sudoku4-2026-12-04", "study-sudoku4"}) {
            StudyPlan plan = StudyPlan.load(Path.of("configs", name + ".conf"), Path.of("target", name));
            // keyword and the first sudoku4 study: 2 methods x 3 values x 3 seeds; sudoku4: 77 settings of 6 arms x
            // 2 screening seeds, and each setting planned on the 3 confirmation seeds, as 2 controls and at 2 more
            // budgets on all 5 seeds (only the chosen settings' run)
            boolean arms = name.equals("study-sudoku4");
            java.util.Map<StudyPlan.Stage, Long> stages = new java.util.EnumMap<>(StudyPlan.Stage.class);
            plan.runs().forEach(r -> stages.merge(r.stage(), 1L, Long::sum));
            assertEquals(arms ? java.util.Map.of(StudyPlan.Stage.SCREENING, 154L, StudyPlan.Stage.CONFIRMATION, 231L,
                    StudyPlan.Stage.CONTROL, 154L, StudyPlan.Stage.BUDGET, 770L)
                    : java.util.Map.of(StudyPlan.Stage.SCREENING, 18L), stages, name);
            assertEquals(arms ? 154 + 6 * (3 + 2 + 2 * 5) : 18, plan.scheduled(), name);
            for (StudyPlan.PlannedRun run : plan.runs()) {
                long perIteration = run.method().equals("grpo")
                        ? (long) run.config().grpo().prompts() * run.config().grpo().groupSize()
                        : (long) run.config().es().populationSize() * run.config().task().batch();
                long budget = Math.round(run.budget() * plan.completions());
                long sampled = perIteration * run.config().iterations();
                // the budget, or at most one iteration short of it more (a tenth of 19,200 is 1.5 low-rank steps)
                assertTrue(sampled >= budget && sampled - perIteration < budget, run.name() + ": " + sampled);
                assertEquals(run.budget() == 1, sampled == plan.completions(), run.name());
                assertTrue(run.config().eval().datasets().get(0).toString().contains("validation"), run.name());
            }
        }
    }

    @Test
    void armsFixSettingsAndSearchUpToTwoAxesAndTheConfirmationSeedsFollow(@TempDir Path dir) throws Exception {
        String keys = """
                eval.datasets = ["data/keyword/validation.jsonl", "data/keyword/test.jsonl"]
                task { batch = 4, max-new-tokens = 10 }
                es.population = 6
                grpo { prompts = 4, group-size = 5 }
                """;
        Path file = Files.writeString(dir.resolve("arms.conf"), keys + """
                study {
                  seeds = [1, 2]
                  confirm-seeds = [3, 4, 5]
                  completions = 120
                  arms = [
                    { name = "es-plain", method = "es", axes = [
                        { key = "es.alpha", values = [0.01, 0.02] }, { key = "es.sigma", values = [0.01, 0.03] } ] }
                    { name = "es-mirrored", method = "es", set { es.antithetic = true, es.shaping = "centered-ranks" },
                      axes = [ { key = "es.alpha", values = [0.02] } ] }
                    { name = "dr-grpo", method = "grpo", set { grpo.advantage-scaling = "none",
                        grpo.loss-aggregation = "seq-mean-token-sum" } }
                  ]
                }
                """);
        StudyPlan plan = StudyPlan.load(file, dir.resolve("out"));
        assertEquals(List.of("es-plain", "es-mirrored", "dr-grpo"), plan.arms().stream().map(StudyPlan.Arm::name)
                .toList());
        // (4 settings + 1 + 1) x (2 screening + 3 confirmation seeds)
        assertEquals(30, plan.runs().size());
        StudyPlan.PlannedRun first = plan.runs().get(0);
        assertEquals("es-plain-0.01-0.01-seed1", first.name());
        assertEquals("0.01 x 0.01", first.value());
        assertEquals(0.01, first.config().es().alpha());
        assertEquals(0.01, first.config().es().sigma());
        StudyPlan.PlannedRun mirrored = plan.runs().stream().filter(r -> r.arm().equals("es-mirrored")).findFirst()
                .orElseThrow();
        assertTrue(mirrored.config().es().antithetic(), "the arm's fixed settings apply");
        assertEquals("centered-ranks", mirrored.config().es().shaping().name().toLowerCase().replace('_', '-'));
        StudyPlan.PlannedRun dr = plan.runs().stream().filter(r -> r.arm().equals("dr-grpo")).findFirst()
                .orElseThrow();
        assertEquals(RunConfig.Method.GRPO, dr.config().method());
        assertEquals("NONE", dr.config().grpo().scaling().name());
        assertEquals("dr-grpo-seed1", dr.name(), "an arm without axes has one setting");
        assertEquals(List.of(false, false, true, true, true), plan.runs().stream()
                .filter(r -> r.arm().equals("dr-grpo")).map(StudyPlan.PlannedRun::confirmation).toList());
        for (StudyPlan.PlannedRun run : plan.runs()) { // equal completions: ES 6 x 4 = 24 an iteration, GRPO 20
            assertEquals(run.method().equals("es") ? 5 : 6, run.config().iterations(), run.name());
        }
        // What a study must refuse before any run starts, each naming the problem:
        String[][] refused = {
                {"seeds = [1, 1]", "repeats a seed"},
                {"seeds = [1], confirm-seeds = [1]", "confirm-seeds repeats screening seed 1"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\", axes = [{ key = \"run.seed\", values = [1, 2] }] }]",
                        "sets run.seed, which the study sets"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\", set { method = \"grpo\" } }]",
                        "sets method, which the study sets"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\", set { run.iterations = 9 } }]",
                        "sets run.iterations, which the study sets"}, // a completions budget sets it
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\", axes = [{ key = \"es.alpha\", values = [0.001, 1e-3] }] }]",
                        "axis es.alpha repeats a value"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\", axes = [{ key = \"task.system\", values = [\"a/b\", \"a_b\"] }] }]",
                        "would share the directory"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\" }, { name = \"a\", method = \"grpo\" }]",
                        "must be unique"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"sgd\" }]", "method must be es or grpo"},
                {"seeds = [1], arms = [{ name = \"a\", method = \"es\", axes = [{ key = \"es.alpha\", values = [1] },"
                        + " { key = \"es.sigma\", values = [1] }, { key = \"es.population\", values = [4] }] }]",
                        "an arm searches one or two"},
        };
        for (String[] bad : refused) {
            Path f = Files.writeString(dir.resolve("bad.conf"), keys + "study { " + bad[0] + " }\n");
            String message = assertThrows(IllegalArgumentException.class, () -> StudyPlan.load(f, dir.resolve("x")),
                    bad[0]).getMessage();
            assertTrue(message.startsWith(f + ": ") && message.contains(bad[1]), bad[0] + " -> " + message);
        }
    }

    @Test
    void theCountdownStudiesDifferOnlyInTheModelItsBudgetAndTheirDirectory() {
        StudyPlan middle = StudyPlan.load(Path.of("configs/study-countdown.conf"), Path.of("target", "countdown"));
        for (String size : new String[] {"s", "m", "l"}) {
            String name = size.equals("m") ? "study-countdown" : "study-countdown-" + size;
            StudyPlan plan = StudyPlan.load(Path.of("configs", name + ".conf"), Path.of("target", name));
            Path model = Path.of("models", "countdown-" + size);
            // 240 core-seconds per million parameters, rounded to a whole core-second
            double perMillion = plan.coreSeconds() / (ConfigJson.read(model).parameterCount() / 1e6);
            assertTrue(Math.abs(perMillion - 240) < 2, name + ": " + perMillion + " core-seconds per million");
            // 4 ES and 5 Dr.GRPO settings on 2 seeds; the chosen two on 3 more, and as controls on the first 2
            assertEquals(9 * 2 + 2 * (3 + 2), plan.scheduled(), name);
            assertEquals(middle.runs().size(), plan.runs().size(), name);
            for (int i = 0; i < plan.runs().size(); i++) {
                StudyPlan.PlannedRun run = plan.runs().get(i);
                StudyPlan.PlannedRun same = middle.runs().get(i);
                assertEquals(same.name() + same.config().es() + same.config().grpo() + same.config().task(),
                        run.name() + run.config().es() + run.config().grpo() + run.config().task(), name);
                assertTrue(run.config().model().path().endsWith(model), run.name() + ": " + run.config().model());
                assertEquals(plan.coreSeconds(), run.config().run().coreSeconds(), run.name());
                // each method's upper bound, which also paces its 5 held-out rounds
                long bound = run.method().equals("es") ? 200 : 800;
                assertEquals(bound, run.config().iterations(), run.name());
                assertEquals(bound / 5, run.config().eval().every(), run.name());
                List<Path> sets = run.config().eval().datasets();
                assertEquals(List.of("validation_500.jsonl", "clean_test_1000.jsonl"), sets.stream()
                        .map(p -> p.getFileName().toString()).toList(), run.name());
            }
        }
    }

    @Test
    void theSigmaStudyIsCountdownSsEsArmWithSigmaAsASecondAxis() {
        StudyPlan small = StudyPlan.load(Path.of("configs/study-countdown-s.conf"), Path.of("target", "cs"));
        StudyPlan sigma = StudyPlan.load(Path.of("configs/study-countdown-s-sigma.conf"), Path.of("target", "sigma"));
        // 3 sigmas x 3 alphas on 2 seeds; the chosen one on 3 more, and as a control on the first 2
        assertEquals(3 * 3 * 2 + 3 + 2, sigma.scheduled());
        StudyPlan.PlannedRun reference = small.runs().stream().filter(r -> r.name().equals("es-0.005-seed8"))
                .findFirst().orElseThrow();
        assertEquals(0.01, reference.config().es().sigma());
        for (double value : new double[] {0.0025, 0.005, 0.02}) {
            String name = "es-" + value + "-0.005-seed8";
            StudyPlan.PlannedRun run = sigma.runs().stream().filter(r -> r.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " not planned"));
            assertEquals(value, run.config().es().sigma(), name);
            // everything else as countdown-s's run: population, alpha, seed, model, budget, task, bound, eval sets
            assertEquals(reference.config().es().toString().replace("sigma=0.01,", ""),
                    run.config().es().toString().replace("sigma=" + value + ",", ""), name);
            assertEquals(reference.config().model().path(), run.config().model().path(), name);
            assertEquals(reference.config().task(), run.config().task(), name);
            assertEquals(reference.config().run().coreSeconds(), run.config().run().coreSeconds(), name);
            assertEquals(reference.config().iterations(), run.config().iterations(), name);
            assertEquals(reference.config().eval().datasets(), run.config().eval().datasets(), name);
        }
    }

    @Test
    void everyShippedRunFileParses() throws Exception {
        try (var files = Files.list(Path.of("configs"))) {
            List<Path> runs = files.filter(f -> !f.getFileName().toString().startsWith("study-")).sorted().toList();
            assertTrue(runs.size() >= 4, runs.toString());
            for (Path file : runs) {
                RunConfig config = RunConfigLoader.load(file, ConfigFactory.empty());
                if (file.getFileName().toString().contains("control")) {
                    assertTrue(config.es().shuffledControl(), file.toString());
                }
                assertEquals(file.getFileName().toString().contains("grpo"),
                        config.method() == RunConfig.Method.GRPO, file.toString());
            }
        }
    }

    @Test
    void aStudyCanHoldTokensFixedInsteadOfCompletions(@TempDir Path dir) throws Exception {
        String grid = """
                eval.datasets = ["data/keyword/validation.jsonl", "data/keyword/test.jsonl"]
                task { batch = 4, max-new-tokens = 10 }
                es.population = 5
                grpo { prompts = 4, group-size = 5 }
                study {
                  seeds = [1]
                  %s
                  held-out-rounds = 2
                  es { axis = "es.alpha", values = [0.01] }
                  grpo { axis = "grpo.learning-rate", values = [1e-3] }
                }
                """;
        Path file = Files.writeString(dir.resolve("tokens.conf"), grid.formatted("tokens = 1000"));
        StudyPlan plan = StudyPlan.load(file, dir.resolve("out"));
        assertEquals(1000, plan.tokens());
        for (StudyPlan.PlannedRun run : plan.runs()) {
            assertEquals(1000, run.config().run().tokenBudget(), run.name());
            // 20 completions an iteration (ES: 5 members x 4 prompts; GRPO: 4 x 5): at most 50 iterations if each
            // is one token long, at least 5 if each is 10; held-out rounds every 5 / 2
            assertEquals(50, run.config().iterations(), run.name());
            assertEquals(2, run.config().eval().every(), run.name());
        }
        Path both = Files.writeString(dir.resolve("both.conf"), grid.formatted("tokens = 1000, completions = 80"));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> StudyPlan.load(both, dir.resolve("out")));
        assertTrue(refused.getMessage().startsWith(both + ": ") && refused.getMessage().contains("hold one fixed"),
                refused.getMessage());
        // or compute: every run gets run.core-seconds and keeps the run file's iterations as its upper bound
        Path cpu = Files.writeString(dir.resolve("cpu.conf"), grid.formatted("core-seconds = 90")
                + "run.iterations = 40\n");
        StudyPlan byCpu = StudyPlan.load(cpu, dir.resolve("out"));
        assertEquals(90, byCpu.coreSeconds());
        for (StudyPlan.PlannedRun run : byCpu.runs()) {
            assertEquals(90, run.config().run().coreSeconds(), run.name());
            assertEquals(40, run.config().iterations(), run.name());
            assertEquals(20, run.config().eval().every(), run.name());
        }
        Path cpuAndTokens = Files.writeString(dir.resolve("cpu-tokens.conf"), grid.formatted(
                "tokens = 1000, core-seconds = 90"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StudyPlan.load(cpuAndTokens,
                dir.resolve("out"))).getMessage().contains("hold one fixed"));
    }
}
