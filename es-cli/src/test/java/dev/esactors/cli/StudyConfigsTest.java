package dev.esactors.cli;

import dev.esactors.train.study.StudyPlan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped study files parse into their grids, every run at the same sampling cost. */
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
                assertTrue(run.config().evalDatasets().get(0).toString().contains("validation"), run.name());
            }
        }
    }
}
