package dev.esactors.cli;

import dev.esactors.core.io.DirectoryLock;
import dev.esactors.train.study.Study;
import dev.esactors.train.study.StudyPlan;
import dev.esactors.train.study.StudyResult;
import dev.esactors.train.study.StudySummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code es-actors study}: a grid of ES and GRPO runs (methods x seeds x one axis each), compared on test. */
@Command(name = "study", mixinStandardHelpOptions = true, description = "Run a grid of ES and GRPO runs (arms x up "
        + "to two axes x run seeds, then each arm's chosen setting on the confirmation seeds), resumably, and compare "
        + "them: summary.csv and report.html in the study directory.")
final class StudyCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "study file (HOCON: run keys "
            + "plus a study block)")
    Path config;

    @Option(names = "--dir", paramLabel = "DIR", description = "override study.dir")
    Path dir;

    @Option(names = "--parallel", paramLabel = "K", description = "runs at once, a process each (overrides "
            + "study.parallel; the runs' weights do not depend on it)")
    Integer parallel;

    @Option(names = "--in-process", description = "run every run in this process instead of a process each (peak "
            + "memory is then reset per run only where Linux allows it)")
    boolean inProcess;

    @Option(names = "--without-finals", description = "screening and confirmation only: no controls, other budgets "
            + "or diagnostics (the same directory without this option adds them later)")
    boolean withoutFinals;

    // The study's own processes: run only this run, here, and stop when the study process is gone.
    @Option(names = "--only", paramLabel = "RUN", hidden = true)
    String only;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        StudyPlan plan = StudyPlan.load(config, dir);
        if (parallel != null) {
            plan = plan.withParallel(parallel);
        }
        if (withoutFinals) {
            plan = plan.withoutFinals();
        }
        if (only != null) {
            StudyRunProcess.exitWithParent();
            StudyPlan.PlannedRun run = plan.runs().stream().filter(r -> r.name().equals(only)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no run '" + only + "' in " + config));
            StudyResult result = Study.inProcess(run);
            out.printf("study run %s finished: test accuracy %.1f%%, %s%n", run.name(), 100 * result.testAccuracy(),
                    result.cost());
            out.flush();
            return 0;
        }
        out.printf("es-actors study %s: %d runs%s into %s%s%n", config, plan.scheduled(),
                plan.parallel() > 1 ? " (" + plan.parallel() + " at a time)" : "", plan.dir(),
                plan.completions() > 0 ? ", " + plan.completions() + " completions sampled per run"
                        : plan.tokens() > 0 ? ", " + plan.tokens() + " tokens generated per run"
                        : plan.coreSeconds() > 0 ? ", " + plan.coreSeconds() + " core-seconds per run" : "");
        out.flush();
        if (inProcess && plan.parallel() > 1) {
            throw new IllegalArgumentException(config + ": study.parallel = " + plan.parallel() + " needs a process "
                    + "per run; --in-process runs one at a time");
        }
        Study.Runner runner = inProcess ? Study::inProcess : new StudyRunProcess(config, plan.dir());
        StudySummary summary;
        // One study per directory: a second one would start the same runs, truncating their logs before their own
        // locks refused it.
        try (DirectoryLock lock = DirectoryLock.acquire(plan.dir(), "study")) {
            summary = Study.run(plan, runner, note -> {
                out.println(note);
                out.flush();
            });
        }
        summary.lines().forEach(out::println);
        out.printf("summary %s%nreport  %s%n", plan.dir().resolve("summary.csv"), plan.dir().resolve("report.html"));
        out.flush();
        return 0;
    }
}
