package dev.esactors.train.study;

import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.train.EvaluationSchedule;
import dev.esactors.train.ProcessMeter;
import dev.esactors.train.RunEvent;
import dev.esactors.train.RunLauncher;
import dev.esactors.train.StepLog;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs a {@link StudyPlan} one run after another (its screening runs, then the confirmation runs of each arm's chosen
 * setting), skipping the runs that already have a result: a study killed
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

    /**
     * Runs what {@code plan} lacks with {@code runner}: every screening run, then, with confirmation seeds, the runs
     * of each arm's chosen setting on them; progress to {@code notes}; returns the summary.
     */
    public static StudySummary run(StudyPlan plan, Runner runner, Consumer<String> notes) {
        Consumer<String> said = message -> {
            synchronized (notes) { // runs in parallel report from their own threads
                notes.accept(message);
            }
        };
        List<StudyPlan.PlannedRun> screening = plan.runs().stream()
                .filter(r -> r.stage() == StudyPlan.Stage.SCREENING).toList();
        int total = plan.scheduled();
        List<StudyResult> results = new ArrayList<>(all(screening, 0, total, plan.parallel(), runner, said));
        Map<String, String> chosen = StudySummary.chosen(plan, results);
        if (!plan.confirmSeeds().isEmpty()) {
            said.accept("confirming on seeds " + plan.confirmSeeds() + " the settings the screening seeds chose: "
                    + chosen);
            results.addAll(all(chosenRuns(plan, chosen, StudyPlan.Stage.CONFIRMATION), results.size(), total,
                    plan.parallel(), runner, said));
        }
        List<StudyPlan.PlannedRun> finals = new ArrayList<>(chosenRuns(plan, chosen, StudyPlan.Stage.CONTROL));
        finals.addAll(chosenRuns(plan, chosen, StudyPlan.Stage.BUDGET));
        if (!finals.isEmpty()) {
            said.accept("controls and other budgets at the chosen settings");
            results.addAll(all(finals, results.size(), total, plan.parallel(), runner, said));
        }
        if (plan.finals().samples() > 0) {
            StudyDiagnostics.measure(plan, chosen, said);
        }
        StudySummary summary = new StudySummary(plan, results);
        summary.write();
        return summary;
    }

    /** The planned runs of {@code stage} at each arm's chosen setting. */
    private static List<StudyPlan.PlannedRun> chosenRuns(StudyPlan plan, Map<String, String> chosen,
                                                         StudyPlan.Stage stage) {
        return plan.runs().stream().filter(r -> r.stage() == stage && r.value().equals(chosen.get(r.arm())))
                .toList();
    }

    /**
     * Runs {@code runs} (numbered from {@code before} + 1), {@code parallel} at a time, and returns their results in
     * their order. A run that fails stops the study: the runs still going are stopped (they resume later).
     */
    private static List<StudyResult> all(List<StudyPlan.PlannedRun> runs, int before, int total, int parallel,
                                         Runner runner, Consumer<String> notes) {
        List<StudyResult> out = new ArrayList<>();
        if (parallel == 1) {
            for (StudyPlan.PlannedRun run : runs) {
                out.add(one(run, before + out.size() + 1, total, runner, notes));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<StudyResult>> started = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                StudyPlan.PlannedRun run = runs.get(i);
                int position = before + i + 1;
                started.add(pool.submit(() -> one(run, position, total, runner, notes)));
            }
            for (Future<StudyResult> run : started) {
                out.add(run.get());
            }
            return out;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the study ran", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs {@code run} unless it has a result, which it returns. */
    private static StudyResult one(StudyPlan.PlannedRun run, int position, int total, Runner runner,
                                   Consumer<String> notes) {
        String at = "run " + position + "/" + total + " " + run.name();
        Optional<StudyResult> done = StudyResult.read(run.config().dir());
        if (done.isPresent()) {
            String made = done.get().runFile();
            if (!made.isEmpty() && !made.equals(StudyResult.runFile(run))) {
                throw new IllegalStateException("study run " + run.name() + " in " + run.config().dir() + " was made "
                        + "from another run file: a key of the study or of its runs changed since, so its result is "
                        + "not this study's. Give the study another --dir, or delete that run's directory to run it "
                        + "again");
            }
            notes.accept(at + ": done before, kept");
            return done.get();
        }
        notes.accept(at + ": " + run.arm() + (run.values().isEmpty() ? "" : " at " + run.value()) + ", seed "
                + run.seed() + switch (run.stage()) {
                    case SCREENING -> "";
                    case CONFIRMATION -> " (confirmation)";
                    case CONTROL -> " (control: shuffled rewards)";
                    case BUDGET -> " (budget x" + StudyFinals.label(run.budget()) + ")";
                } + ", " + run.config().iterations()
                + " iterations");
        StudyResult result = runner.run(run);
        notes.accept(String.format(Locale.ROOT, "%s: validation accuracy %.1f%%, test %.1f%% (base %.1f%%), %.0f s",
                at, 100 * result.validationAccuracy(), 100 * result.testAccuracy(), 100 * result.baseTestAccuracy(),
                result.cost().seconds()));
        return result;
    }

    /**
     * Runs {@code run} in this process (ES in one thread, or GRPO) and saves its result. The peak memory it reports
     * is this process's since the run started where Linux allows resetting it, else since the process started.
     */
    public static StudyResult inProcess(StudyPlan.PlannedRun run) {
        ProcessMeter.resetPeak();
        double cpuBefore = ProcessMeter.cpuSeconds();
        long start = System.nanoTime();
        // A run resumed after its process died counts what the earlier processes spent on the steps it keeps
        RunEvent.Resumed[] before = {new RunEvent.Resumed(0, 0, 0)};
        RunEvent last = RunLauncher.run(run.config(), RunLauncher.IN_PROCESS_ONLY, e -> {
            if (e instanceof RunEvent.Resumed resumed) {
                before[0] = resumed;
            }
        });
        if (!(last instanceof RunEvent.RunFinished finished)) {
            throw new IllegalStateException("study run " + run.name() + " failed: " + last);
        }
        Path dir = run.config().dir();
        double[] counts = StepLog.totals(dir);
        StudyResult.Cost cost = new StudyResult.Cost(StudyPlan.perIteration(run.config()) * finished.iterations(),
                counts[1], counts[2], before[0].seconds() + (System.nanoTime() - start) / 1e9,
                before[0].coreSeconds() + ProcessMeter.cpuSeconds() - cpuBefore,
                ProcessMeter.peakRssBytes(), RunCosts.flops(run.config(), StepLog.total(dir, StepLog.PROMPT_TOKENS),
                counts[1], counts[2]));
        StudyResult result = StudyResult.of(run, finished.iterations(), cost, finished.evaluation(),
                finished.masterHash(), curves(dir));
        testItems(run, result);
        result.save(dir); // last: its presence marks the run done
        return result;
    }

    /**
     * Writes which test items the run's final weights (its export) answer right, for the paired comparison, and
     * checks them against the final table's test accuracy (the same weights, scored the same way).
     */
    private static void testItems(StudyPlan.PlannedRun run, StudyResult result) {
        RunConfig config = run.config();
        Decoder decoder = ModelLoader.load(config.dir().resolve("export"), BaseModel.coordinatorDevice(config),
                DType.parseWorking(config.model().dtype()));
        String items;
        try (EvalDatasets data = new EvalDatasets(config)) {
            items = data.outcomes(decoder, 1);
        }
        long right = items.chars().filter(c -> c == '1').count();
        if (Math.abs((double) right / items.length() - result.testAccuracy()) > 1e-9) {
            throw new IllegalStateException("study run " + run.name() + ": its export answers " + right + " of "
                    + items.length() + " test items right, but its final table says " + result.testAccuracy()
                    + ": the export is not the weights the table scored");
        }
        AtomicFiles.write(config.dir().resolve(StudySummary.TEST_ITEMS), (items + "\n").getBytes(
                StandardCharsets.UTF_8));
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
