package dev.esactors.train.study;

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

    private StudyFinalTables() {
    }

    /** The tables as text lines; none for a study without the stage or the runs they need. */
    static List<String> lines(StudySummary summary, List<StudyResult> all) {
        StudyPlan plan = summary.plan();
        Map<String, StudyPlan.PlannedRun> planned = new HashMap<>();
        plan.runs().forEach(r -> planned.put(r.name(), r));
        List<StudySummary.ArmLine> arms = summary.arms();
        List<String> out = new ArrayList<>();
        out.addAll(budgets(plan, arms, all, planned));
        out.addAll(controls(arms, all, planned));
        out.addAll(diagnostics(plan, summary, arms));
        out.addAll(sensitivity(plan, summary));
        return out;
    }

    /** Per arm and budget: the runs' budget, core-seconds and test accuracy over seeds. */
    private static List<String> budgets(StudyPlan plan, List<StudySummary.ArmLine> arms, List<StudyResult> all,
                                        Map<String, StudyPlan.PlannedRun> planned) {
        if (plan.finals().budgets().isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        out.add("");
        out.add("budget sweep at each arm's chosen setting (x1: the comparison's runs; test accuracy mean +- sd "
                + "over seeds):");
        out.add(String.format(Locale.ROOT, "%-14s %-22s %7s %5s %11s %9s %16s", "arm", "chosen", "budget", "seeds",
                "completions", "core-s", "test accuracy"));
        for (StudySummary.ArmLine arm : arms) {
            Map<Double, List<StudyResult>> byBudget = new java.util.TreeMap<>();
            for (StudyResult r : all) {
                StudyPlan.PlannedRun p = planned.get(r.name());
                if (p != null && r.arm().equals(arm.arm()) && r.value().equals(arm.best())
                        && (p.stage() == StudyPlan.Stage.BUDGET || p.stage().compared())) {
                    byBudget.computeIfAbsent(p.budget(), b -> new ArrayList<>()).add(r);
                }
            }
            byBudget.forEach((budget, runs) -> out.add(String.format(Locale.ROOT,
                    "%-14s %-22s %7s %5d %11.0f %9.0f %16s", arm.arm(), shown(arm.best()),
                    "x" + StudyFinals.label(budget), runs.size(), StudySummary.mean(runs, r -> r.cost().completions()),
                    StudySummary.mean(runs, r -> r.cost().cpuSeconds()), percent(runs, StudyResult::testAccuracy))));
        }
        return out;
    }

    /** Per arm: its chosen setting's test accuracy, the same setting's with shuffled rewards, and the base model's. */
    private static List<String> controls(List<StudySummary.ArmLine> arms, List<StudyResult> all,
                                         Map<String, StudyPlan.PlannedRun> planned) {
        List<String> out = new ArrayList<>();
        for (StudySummary.ArmLine arm : arms) {
            List<StudyResult> runs = all.stream().filter(r -> planned.containsKey(r.name())
                    && planned.get(r.name()).stage() == StudyPlan.Stage.CONTROL && r.arm().equals(arm.arm())
                    && r.value().equals(arm.best())).toList();
            if (runs.isEmpty()) {
                continue;
            }
            if (out.isEmpty()) {
                out.add("");
                out.add("controls: each chosen setting learning from shuffled rewards (test accuracy, mean +- sd "
                        + "over seeds); a control that gains on the base model learns from something besides the "
                        + "reward:");
                out.add(String.format(Locale.ROOT, "%-14s %-22s %16s %16s %8s %16s", "arm", "chosen", "real rewards",
                        "shuffled", "seeds", "control - base"));
            }
            double base = StudySummary.mean(runs, StudyResult::baseTestAccuracy);
            out.add(String.format(Locale.ROOT, "%-14s %-22s %16s %16s %8d %+15.1f", arm.arm(), shown(arm.best()),
                    String.format(Locale.ROOT, "%.1f%% +- %s", 100 * arm.testAccuracy(), sd(arm.testAccuracySd())),
                    percent(runs, StudyResult::testAccuracy), runs.size(),
                    100 * (StudySummary.mean(runs, StudyResult::testAccuracy) - base)));
        }
        return out;
    }

    /** Per arm: the mean diagnostics of its chosen setting's runs, and the base model's. */
    private static List<String> diagnostics(StudyPlan plan, StudySummary summary, List<StudySummary.ArmLine> arms) {
        Optional<StudyDiagnostics.Diagnosis> base = StudyDiagnostics.ofBase(plan.dir());
        if (plan.finals().samples() == 0 || base.isEmpty()) {
            return List.of();
        }
        int k = base.get().samples();
        List<String> out = new ArrayList<>();
        out.add("");
        out.add(String.format(Locale.ROOT, "what training did to the model: on the first %d test items, greedy "
                        + "accuracy and pass@k of %d answers sampled at temperature %s; KL to the base model (nats a "
                        + "token) and relative weight drift at the run's last held-out round; means over seeds:",
                base.get().items(), k, base.get().temperature()));
        out.add(String.format(Locale.ROOT, "%-28s %8s %8s %8s %9s %9s %9s", "model", "greedy", "pass@1", "pass@" + k,
                "KL", "attention", "mlp"));
        out.add(StudyDiagnostics.row("base model", base.get()));
        Map<String, Map<String, List<StudyResult>>> settings = summary.bySetting();
        for (StudySummary.ArmLine arm : arms) {
            List<StudyDiagnostics.Diagnosis> measured = settings.get(arm.arm()).get(arm.best()).stream()
                    .map(r -> StudyDiagnostics.ofRun(plan.dir().resolve("runs").resolve(r.name())))
                    .flatMap(Optional::stream).filter(d -> d.samples() == k).toList();
            if (!measured.isEmpty()) {
                out.add(StudyDiagnostics.row(arm.arm() + " (" + measured.size() + " seeds)",
                        StudyDiagnostics.mean(measured)));
            }
        }
        return out;
    }

    /**
     * Per arm and numeric axis: the mean absolute change of test accuracy (screening seeds) between neighbouring
     * values of the axis, the other axis held, per doubling of the value (log2 of their ratio); and the share of the
     * arm's settings that beat the base model. Lower is less sensitive.
     */
    private static List<String> sensitivity(StudyPlan plan, StudySummary summary) {
        List<String> out = new ArrayList<>();
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
                if (out.isEmpty()) {
                    out.add("");
                    out.add("sensitivity: mean |change| of test accuracy (screening seeds) between neighbouring "
                            + "values of an axis, the other held, per doubling of the value:");
                    out.add(String.format(Locale.ROOT, "%-14s %-26s %9s %18s", "arm", "axis", "pairs",
                            "points/doubling"));
                }
                out.add(String.format(Locale.ROOT, "%-14s %-26s %9d %18.2f", arm.name(), axis.key(),
                        perDoubling.length, 100 * Statistics.mean(perDoubling)));
            }
        }
        return out;
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
        return String.format(Locale.ROOT, "%.1f%% +- %s", 100 * StudySummary.mean(runs, f),
                sd(StudySummary.sd(runs, f)));
    }

    private static String sd(double sd) {
        return Double.isNaN(sd) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * sd);
    }
}
