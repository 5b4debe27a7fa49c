package dev.esactors.cli;

import dev.esactors.train.study.Study;
import dev.esactors.train.study.StudyPlan;
import dev.esactors.train.study.StudySummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code es-actors study}: a grid of ES and GRPO runs (methods x seeds x one axis each), compared on test. */
@Command(name = "study", mixinStandardHelpOptions = true, description = "Run a grid of ES and GRPO runs (run seeds "
        + "x one hyperparameter axis per method) one after another, resumably, and compare them: summary.csv and "
        + "report.html in the study directory.")
final class StudyCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "study file (HOCON: run keys "
            + "plus a study block)")
    Path config;

    @Option(names = "--dir", paramLabel = "DIR", description = "override study.dir")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        StudyPlan plan = StudyPlan.load(config, dir);
        out.printf("es-actors study %s: %d runs into %s%s%n", config, plan.runs().size(), plan.dir(),
                plan.completions() > 0 ? ", " + plan.completions() + " completions sampled per run" : "");
        out.flush();
        StudySummary summary = Study.run(plan, note -> {
            out.println(note);
            out.flush();
        });
        summary.lines().forEach(out::println);
        out.printf("summary %s%nreport  %s%n", plan.dir().resolve("summary.csv"), plan.dir().resolve("report.html"));
        out.flush();
        return 0;
    }
}
