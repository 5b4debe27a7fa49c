package dev.esactors.actors;

import dev.esactors.actors.node.EsNode;
import dev.esactors.train.RunEvent;
import dev.esactors.train.RunLoop;
import dev.esactors.train.StepLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * run.token-budget and run.core-seconds end ES and GRPO runs once they generated that many tokens or spent that much
 * CPU time, so studies can hold tokens or compute fixed.
 */
class TokenBudgetTest {

    @TempDir
    static Path root;

    @Test
    void bothMethodsStopAtTheFirstBoundaryPastTheBudget() throws Exception {
        // ES: 6 members x 4 prompts x at most 16 tokens = at most 384 tokens an iteration
        Map<String, Object> es = Map.of("run.iterations", 50, "run.token-budget", 700);
        // GRPO: 2 prompts x 4 completions x at most 16 tokens = at most 128 tokens a step
        Map<String, Object> grpo = Map.of("method", "grpo", "run.iterations", 50, "run.token-budget", 300,
                "grpo.prompts", 2, "grpo.group-size", 4);
        for (Map<String, Object> extra : List.of(es, grpo)) {
            Path dir = root.resolve(extra.containsKey("method") ? "grpo" : "es");
            var config = TestRuns.small(dir, 0, extra);
            RunEvent last = RunLoop.run(config, e -> { });
            RunEvent.RunFinished finished = assertInstanceOf(RunEvent.RunFinished.class, last, last.toString());
            List<String> steps = Files.readAllLines(dir.resolve(StepLog.COUNTS));
            assertEquals(finished.iterations(), steps.size(), "a line of counts per iteration");
            assertTrue(finished.iterations() > 1 && finished.iterations() < 50, "ended by its budget: "
                    + finished.iterations());
            double all = StepLog.totals(dir)[1];
            double lastStep = Double.parseDouble(steps.get(steps.size() - 1).split(" ")[1]);
            long budget = config.run().tokenBudget();
            assertTrue(all >= budget && all - lastStep < budget, "past the budget only by its last iteration: "
                    + all + " tokens, the last " + lastStep);
        }
    }

    @Test
    void aCoreSecondsBudgetStopsARunAtTheFirstBoundaryPastIt() throws Exception {
        Path dir = root.resolve("cpu");
        var config = TestRuns.small(dir, 0, Map.of("run.iterations", 500, "run.core-seconds", 3));
        RunEvent last = RunLoop.run(config, e -> { });
        RunEvent.RunFinished finished = assertInstanceOf(RunEvent.RunFinished.class, last, last.toString());
        List<String> steps = Files.readAllLines(dir.resolve(StepLog.COUNTS));
        assertEquals(finished.iterations(), steps.size(), "a line of counts per iteration");
        assertTrue(finished.iterations() >= 1 && finished.iterations() < 500, "ended by its budget: "
                + finished.iterations());
        double spent = 0;
        double lastStep = 0;
        for (String step : steps) {
            lastStep = Double.parseDouble(step.split(" ")[3]);
            assertTrue(lastStep > 0, "each step's process time is counted: " + step);
            spent += lastStep;
        }
        assertTrue(spent >= 3 && spent - lastStep < 3, "past the budget only by its last iteration: " + spent
                + " core-seconds, the last " + lastStep);
        // a resume of the finished run takes no further step: the counted time is still spent, and it says so
        List<RunEvent> events = new java.util.ArrayList<>();
        RunEvent again = RunLoop.run(config, events::add);
        assertEquals(finished.iterations(), assertInstanceOf(RunEvent.RunFinished.class, again).iterations());
        RunEvent.Resumed resumed = events.stream().filter(RunEvent.Resumed.class::isInstance)
                .map(RunEvent.Resumed.class::cast).findFirst().orElseThrow();
        assertEquals(finished.iterations(), resumed.step());
        assertEquals(spent, resumed.coreSeconds(), 1e-9);
        assertTrue(resumed.seconds() > 0, "and the wall time of its steps: " + resumed);
    }

    @Test
    void theActorsRefuseBothBudgets() {
        for (Map<String, Object> budget : List.<Map<String, Object>>of(Map.of("run.token-budget", 100),
                Map.of("run.core-seconds", 10))) {
            RunEvent last = EsNode.run(TestRuns.small(root.resolve("actors-" + budget.keySet().iterator().next()), 1,
                    budget), e -> { });
            RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, last, last.toString());
            assertTrue(failed.reason().contains("run.token-budget and run.core-seconds need a run in one process"),
                    failed.reason());
        }
    }
}
