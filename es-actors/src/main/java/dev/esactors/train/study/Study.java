package dev.esactors.train.study;

import dev.esactors.train.GrpoRun;
import dev.esactors.train.LocalRun;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs a {@link StudyPlan} one run after another in this process (ES in one thread, GRPO), skipping the runs that
 * already have a result: a study killed midway continues with the runs it lacks, and the run it was in resumes
 * from its own checkpoints and journal. Then writes summary.csv and report.html.
 */
public final class Study {

    private Study() {
    }

    /** Runs what {@code plan} lacks; progress to {@code notes}; returns the summary of every run. */
    public static StudySummary run(StudyPlan plan, Consumer<String> notes) {
        List<StudyResult> results = new ArrayList<>();
        for (int i = 0; i < plan.runs().size(); i++) {
            StudyPlan.PlannedRun run = plan.runs().get(i);
            Path dir = run.config().dir();
            Optional<StudyResult> done = StudyResult.read(dir);
            String position = "run " + (i + 1) + "/" + plan.runs().size() + " " + run.name();
            if (done.isPresent()) {
                notes.accept(position + ": done before, kept");
                results.add(done.get());
                continue;
            }
            notes.accept(position + ": " + run.axis() + " = " + run.value() + ", seed " + run.seed() + ", "
                    + run.config().iterations() + " iterations");
            long start = System.nanoTime();
            List<RunEvent> events = new ArrayList<>();
            RunEvent last = run.config().method() == RunConfig.Method.GRPO
                    ? GrpoRun.run(run.config(), events::add) : LocalRun.run(run.config(), events::add);
            if (!(last instanceof RunEvent.RunFinished finished)) {
                throw new IllegalStateException(position + " failed: " + last);
            }
            StudyResult result = StudyResult.of(run, finished.iterations(),
                    StudyPlan.perIteration(run.config()) * finished.iterations(), (System.nanoTime() - start) / 1e9,
                    finished.evaluation(), finished.masterHash());
            result.save(dir);
            results.add(result);
            notes.accept(String.format(java.util.Locale.ROOT, "%s: validation accuracy %.1f%%, test %.1f%% (base "
                    + "%.1f%%), %.0f s", position, 100 * result.validationAccuracy(), 100 * result.testAccuracy(),
                    100 * result.baseTestAccuracy(), result.seconds()));
        }
        StudySummary summary = new StudySummary(plan, results);
        summary.write();
        return summary;
    }
}
