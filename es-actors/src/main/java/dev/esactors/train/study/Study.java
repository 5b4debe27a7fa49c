package dev.esactors.train.study;

import dev.esactors.train.EvaluationSchedule;
import dev.esactors.train.RunEvent;
import dev.esactors.train.RunLauncher;
import dev.esactors.train.StepLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs a {@link StudyPlan} one run after another, skipping the runs that already have a result: a study killed
 * midway continues with the runs it lacks, and the run it was in resumes from its own checkpoints and journal.
 * Then writes summary.csv and report.html. Each run goes to a {@link Runner}: the command line starts a process per
 * run (so that its peak memory and CPU time are its own); {@link #inProcess} runs it in this one.
 */
public final class Study {

    /** Runs one planned run to its end and returns its result (saved in its directory). */
    @FunctionalInterface
    public interface Runner {
        StudyResult run(StudyPlan.PlannedRun run);
    }

    private Study() {
    }

    /** Runs what {@code plan} lacks with {@code runner}; progress to {@code notes}; returns the summary. */
    public static StudySummary run(StudyPlan plan, Runner runner, Consumer<String> notes) {
        List<StudyResult> results = new ArrayList<>();
        for (int i = 0; i < plan.runs().size(); i++) {
            StudyPlan.PlannedRun run = plan.runs().get(i);
            Optional<StudyResult> done = StudyResult.read(run.config().dir());
            String position = "run " + (i + 1) + "/" + plan.runs().size() + " " + run.name();
            if (done.isPresent()) {
                notes.accept(position + ": done before, kept");
                results.add(done.get());
                continue;
            }
            notes.accept(position + ": " + run.axis() + " = " + run.value() + ", seed " + run.seed() + ", "
                    + run.config().iterations() + " iterations");
            StudyResult result = runner.run(run);
            results.add(result);
            notes.accept(String.format(Locale.ROOT, "%s: validation accuracy %.1f%%, test %.1f%% (base %.1f%%), "
                    + "%.0f s", position, 100 * result.validationAccuracy(), 100 * result.testAccuracy(),
                    100 * result.baseTestAccuracy(), result.cost().seconds()));
        }
        StudySummary summary = new StudySummary(plan, results);
        summary.write();
        return summary;
    }

    /**
     * Runs {@code run} in this process (ES in one thread, or GRPO) and saves its result. The peak memory it reports
     * is this process's since the run started where Linux allows resetting it, else since the process started.
     */
    public static StudyResult inProcess(StudyPlan.PlannedRun run) {
        ProcessMeter.resetPeak();
        double cpuBefore = ProcessMeter.cpuSeconds();
        long start = System.nanoTime();
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = RunLauncher.run(run.config(), RunLauncher.IN_PROCESS_ONLY, events::add);
        if (!(last instanceof RunEvent.RunFinished finished)) {
            throw new IllegalStateException("study run " + run.name() + " failed: " + last);
        }
        Path dir = run.config().dir();
        double[] counts = StepLog.totals(dir);
        StudyResult.Cost cost = new StudyResult.Cost(StudyPlan.perIteration(run.config()) * finished.iterations(),
                counts[1], counts[2], (System.nanoTime() - start) / 1e9, ProcessMeter.cpuSeconds() - cpuBefore,
                ProcessMeter.peakRssBytes());
        StudyResult result = StudyResult.of(run, finished.iterations(), cost, finished.evaluation(),
                finished.masterHash(), curves(dir));
        result.save(dir);
        return result;
    }

    /** The run's curves from its directory: rewards.csv (written by its report) and the held-out scores. */
    private static StudyResult.Curves curves(Path dir) {
        try {
            double[] reward = Files.readAllLines(dir.resolve("rewards.csv"), StandardCharsets.UTF_8).stream()
                    .skip(1).filter(l -> !l.isBlank()).mapToDouble(l -> Double.parseDouble(l.split(",")[1]))
                    .toArray();
            Path heldOut = dir.resolve(EvaluationSchedule.HELD_OUT);
            List<String> rounds = Files.isRegularFile(heldOut)
                    ? Files.readAllLines(heldOut, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList()
                    : List.of();
            return new StudyResult.Curves(reward,
                    rounds.stream().mapToLong(l -> Long.parseLong(l.trim().split(" ")[0])).toArray(),
                    rounds.stream().mapToDouble(l -> Double.parseDouble(l.trim().split(" ")[1])).toArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the curves of " + dir, e);
        }
    }
}
