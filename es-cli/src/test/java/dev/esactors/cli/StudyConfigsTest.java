package dev.esactors.cli;

import com.typesafe.config.ConfigFactory;
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
    void theShippedStudiesPlanEighteenRunsOfEqualCost() {
        for (String name : new String[] {"study-keyword", "study-sudoku4"}) {
            StudyPlan plan = StudyPlan.load(Path.of("configs", name + ".conf"), Path.of("target", name));
            assertEquals(18, plan.runs().size(), name);
            for (StudyPlan.PlannedRun run : plan.runs()) {
                long perIteration = run.method().equals("grpo")
                        ? (long) run.config().grpo().prompts() * run.config().grpo().groupSize()
                        : (long) run.config().es().populationSize() * run.config().task().batch();
                assertEquals(plan.completions(), perIteration * run.config().iterations(), run.name());
                assertTrue(run.config().eval().datasets().get(0).toString().contains("validation"), run.name());
            }
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
    }
}
