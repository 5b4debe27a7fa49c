package dev.esactors.train.study;

import dev.esactors.train.report.Html;
import dev.esactors.train.report.Table;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The study's tables past the comparison, at each arm's chosen setting: test accuracy at every budget (the budget
 * sweep), the shuffled-reward controls beside the real runs and the base model, what training did to the model
 * ({@link StudyDiagnostics}), and how much test accuracy moves per doubling of each numeric axis (sensitivity).
 */
final class StudyFinalTables {

    /**
     * One table with its title and what it shows.
     *
     * @param title its section's title in the report
     * @param note  what it shows (a sentence)
     * @param table its figures
     */
    record Part(String title, String note, Table table) {

        /** As console lines: a blank line, the note, the table. */
        List<String> lines() {
            List<String> out = new ArrayList<>(List.of("", title.toLowerCase(Locale.ROOT) + ": " + note));
            out.addAll(table.lines());
            return out;
        }

        /** As a report section. */
        String html() {
            return Html.section(title) + Html.note(Html.escape(note)) + table.html();
        }
    }

    private StudyFinalTables() {
    }

    /** The tables; none for a study without the stage or the runs they need. */
    static List<Part> parts(StudySummary summary, List<StudyResult> all) {
        StudyPlan plan = summary.plan();
        Map<String, StudyPlan.PlannedRun> planned = new HashMap<>();
        plan.runs().forEach(r -> planned.put(r.name(), r));
        List<StudySummary.ArmLine> arms = summary.arms();
        List<Part> out = new ArrayList<>();
        budgets(plan, arms, all, planned).ifPresent(out::add);
        controls(arms, all, planned).ifPresent(out::add);
        diagnostics(plan, summary, arms).ifPresent(out::add);
        sensitivity(plan, summary).ifPresent(out::add);
        return out;
    }

    /** Per arm and budget: the runs' budget, core-seconds and test accuracy over seeds. */
    private static Optional<Part> budgets(StudyPlan plan, List<StudySummary.ArmLine> arms, List<StudyResult> all,
                                          Map<String, StudyPlan.PlannedRun> planned) {
        if (plan.finals().budgets().isEmpty()) {
            return Optional.empty();
        }
        Table table = Table.of("arm", "chosen", "budget", "seeds", "completions", "core-s", "test accuracy");
        for (StudySummary.ArmLine arm : arms) {
            Map<Double, List<StudyResult>> byBudget = new java.util.TreeMap<>();
            for (StudyResult r : all) {
                StudyPlan.PlannedRun p = planned.get(r.name());
                if (p != null && r.arm().equals(arm.arm()) && r.value().equals(arm.best())
                        && (p.stage() == StudyPlan.Stage.BUDGET || p.stage().compared())) {
                    byBudget.computeIfAbsent(p.budget(), b -> new ArrayList<>()).add(r);
                }
            }
            for (Map.Entry<Double, List<StudyResult>> b : byBudget.entrySet()) {
                List<StudyResult> runs = b.getValue();
                table = table.row(arm.arm(), shown(arm.best()), "x" + StudyFinals.label(b.getKey()), runs.size(),
                        String.format(Locale.ROOT, "%.0f", StudySummary.mean(runs, r -> r.cost().completions())),
                        String.format(Locale.ROOT, "%.0f", StudySummary.mean(runs, r -> r.cost().cpuSeconds())),
                        percent(runs, StudyResult::testAccuracy));
            }
        }
        return Optional.of(new Part("Budget sweep", "each arm's chosen setting at other budgets (x1: the "
                + "comparison's runs); test accuracy, mean +- sd over seeds", table));
    }

    /** Per arm: its chosen setting's test accuracy, the same setting's with shuffled rewards, and the base model's. */
    private static Optional<Part> controls(List<StudySummary.ArmLine> arms, List<StudyResult> all,
                                           Map<String, StudyPlan.PlannedRun> planned) {
        Table table = Table.of("arm", "chosen", "real rewards", "shuffled", "seeds", "control - base");
        for (StudySummary.ArmLine arm : arms) {
            List<StudyResult> runs = all.stream().filter(r -> planned.containsKey(r.name())
                    && planned.get(r.name()).stage() == StudyPlan.Stage.CONTROL && r.arm().equals(arm.arm())
                    && r.value().equals(arm.best())).toList();
            if (runs.isEmpty()) {
                continue;
            }
            double base = StudySummary.mean(runs, StudyResult::baseTestAccuracy);
            table = table.row(arm.arm(), shown(arm.best()), StudySummary.percent(arm.testAccuracy(),
                    arm.testAccuracySd()), percent(runs, StudyResult::testAccuracy),
                    runs.size(), String.format(Locale.ROOT, "%+.1f pts",
                            100 * (StudySummary.mean(runs, StudyResult::testAccuracy) - base)));
        }
        return table.rows().isEmpty() ? Optional.empty() : Optional.of(new Part("Controls", "each chosen setting "
                + "learning from shuffled rewards; test accuracy, mean +- sd over seeds. A control that gains on the "
                + "base model learns from something besides the reward", table));
    }

    /** Per arm: the mean diagnostics of its chosen setting's runs, and the base model's. */
    private static Optional<Part> diagnostics(StudyPlan plan, StudySummary summary,
                                              List<StudySummary.ArmLine> arms) {
        Optional<StudyDiagnostics.Diagnosis> base = StudyDiagnostics.ofBase(plan.dir());
        if (plan.finals().samples() == 0 || base.isEmpty()) {
            return Optional.empty();
        }
        int k = base.get().samples();
        Table table = Table.of("model", "greedy", "pass@1", "pass@" + k, "KL", "drift attention", "drift mlp")
                .row(StudyDiagnostics.cells("base model", base.get()).toArray());
        Map<String, Map<String, List<StudyResult>>> settings = summary.bySetting();
        for (StudySummary.ArmLine arm : arms) {
            List<StudyDiagnostics.Diagnosis> measured = settings.get(arm.arm()).get(arm.best()).stream()
                    .map(r -> StudyDiagnostics.ofRun(plan.dir().resolve("runs").resolve(r.name())))
                    .flatMap(Optional::stream).filter(d -> d.samples() == k).toList();
            if (!measured.isEmpty()) {
                table = table.row(StudyDiagnostics.cells(arm.arm() + " (" + measured.size() + " seeds)",
                        StudyDiagnostics.mean(measured)).toArray());
            }
        }
        return Optional.of(new Part("What training did to the model", String.format(Locale.ROOT, "on the first %d "
                + "test items, greedy accuracy and pass@k of %d answers sampled at temperature %s; KL to the base "
                + "model (nats a token) and relative weight drift at the run's last held-out round; means over the "
                + "seeds of each chosen setting", base.get().items(), k, base.get().temperature()), table));
    }

    /**
     * Per arm and numeric axis: the mean absolute change of test accuracy (screening seeds) between neighbouring
     * values of the axis, the other axis held, per doubling of the value (log2 of their ratio). Lower is less
     * sensitive (the share of settings that beat the base model is in the comparison).
     */
    private static Optional<Part> sensitivity(StudyPlan plan, StudySummary summary) {
        Table table = Table.of("arm", "axis", "pairs", "points/doubling");
        Map<String, Map<String, List<StudyResult>>> settings = summary.bySetting();
        for (StudyPlan.Arm arm : plan.arms()) {
            Map<String, List<StudyResult>> runs = settings.get(arm.name());
            for (int a = 0; runs != null && a < arm.axes().size(); a++) {
                StudyPlan.Axis axis = arm.axes().get(a);
                if (axis.values().size() < 2 || !axis.values().stream().allMatch(StudyArms::numeric)
                        || axis.values().stream().anyMatch(v -> Double.parseDouble(v) <= 0)) {
                    continue;
                }
                double[] perDoubling = perDoubling(plan, arm, a, runs);
                if (perDoubling.length == 0) {
                    continue;
                }
                table = table.row(arm.name(), axis.key(), perDoubling.length, String.format(Locale.ROOT, "%.2f",
                        100 * Statistics.mean(perDoubling)));
            }
        }
        return table.rows().isEmpty() ? Optional.empty() : Optional.of(new Part("Sensitivity", "the mean |change| "
                + "of test accuracy (screening seeds) between neighbouring values of an axis, the other held, per "
                + "doubling of the value, in points", table));
    }

    /** The per-doubling changes along axis {@code a} of {@code arm}, one per neighbouring pair that ran. */
    private static double[] perDoubling(StudyPlan plan, StudyPlan.Arm arm, int a,
                                        Map<String, List<StudyResult>> runs) {
        List<String> ordered = new ArrayList<>(arm.axes().get(a).values());
        ordered.sort(Comparator.comparingDouble(Double::parseDouble));
        List<Double> changes = new ArrayList<>();
        for (String setting : runs.keySet()) {
            String[] values = setting.split(" x ", -1);
            int at = ordered.indexOf(values[a]);
            if (at < 0 || at == ordered.size() - 1) {
                continue;
            }
            values[a] = ordered.get(at + 1);
            List<StudyResult> next = runs.get(String.join(" x ", values));
            if (next == null) {
                continue;
            }
            double doublings = Math.abs(Math.log(Double.parseDouble(ordered.get(at + 1))
                    / Double.parseDouble(ordered.get(at))) / Math.log(2));
            double change = StudySummary.mean(screening(plan, next), StudyResult::testAccuracy)
                    - StudySummary.mean(screening(plan, runs.get(setting)), StudyResult::testAccuracy);
            changes.add(Math.abs(change) / doublings);
        }
        return changes.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static List<StudyResult> screening(StudyPlan plan, List<StudyResult> runs) {
        return runs.stream().filter(r -> plan.screenSeeds().contains(r.seed())).toList();
    }

    private static String shown(String setting) {
        return setting.isEmpty() ? "-" : setting;
    }

    private static String percent(List<StudyResult> runs, java.util.function.ToDoubleFunction<StudyResult> f) {
        return StudySummary.percent(StudySummary.mean(runs, f), StudySummary.sd(runs, f));
    }
}
