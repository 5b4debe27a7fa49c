package dev.esactors.train.study;

import dev.esactors.train.StepLog;
import dev.esactors.train.report.Chart;
import dev.esactors.train.report.Html;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The study report's curves: for each method at the setting validation chose, the training reward and the held-out
 * (validation) accuracy against completions sampled and against core-seconds, the mean over seeds with a band of one
 * standard deviation.
 */
final class StudyCurves {

    /** Reward curves are averaged into at most this many points (a GRPO run has thousands of noisy steps). */
    private static final int POINTS = 100;

    private StudyCurves() {
    }

    static String html(StudySummary summary) {
        List<Chart.Series> reward = new ArrayList<>();
        List<Chart.Series> heldOut = new ArrayList<>();
        List<Chart.Series> bySeconds = new ArrayList<>();
        Map<String, Map<String, List<StudyResult>>> settings = summary.bySetting();
        List<StudySummary.ArmLine> arms = summary.arms();
        for (int a = 0; a < arms.size(); a++) {
            StudySummary.ArmLine m = arms.get(a);
            List<StudyResult> runs = settings.get(m.arm()).get(m.best());
            String label = m.arm() + (m.best().isEmpty() ? "" : " (" + m.axis() + " = " + m.best() + ")") + ", "
                    + runs.size() + " seeds"; // Chart escapes it
            String color = Chart.PALETTE[a % Chart.PALETTE.length];
            reward.add(rewardSeries(label, color, runs));
            heldOut.add(heldOutSeries(label, color, runs, completions(runs)));
            double[][] seconds = coreSeconds(summary.plan(), runs);
            if (seconds.length > 0) {
                bySeconds.add(heldOutSeries(label, color, runs, seconds));
            }
        }
        String rewardChart = Chart.svg("training reward", reward, "completions sampled", "reward");
        String heldOutChart = Chart.svg("held-out accuracy", heldOut, "completions sampled", "accuracy");
        String secondsChart = bySeconds.size() == arms.size() ? Chart.svg("held-out accuracy against compute",
                bySeconds, "core-seconds (mean over seeds)", "accuracy") : "";
        StringBuilder html = new StringBuilder();
        if (!rewardChart.isEmpty()) {
            html.append(Html.section("Training reward")).append(Html.note("Mean reward of the completions each "
                    + "iteration sampled (ES: the perturbed population's greedy completions; GRPO: the policy's "
                    + "sampled ones, so the two are not the same quantity), mean +- sd over seeds."))
                    .append(rewardChart).append('\n');
        }
        if (!heldOutChart.isEmpty()) {
            html.append(Html.section("Held-out accuracy")).append(Html.note("Greedy accuracy of the weights on the "
                    + "validation dataset during the run, mean +- sd over seeds.")).append(heldOutChart).append('\n');
        }
        if (!secondsChart.isEmpty()) {
            html.append(Html.section("Held-out accuracy against compute")).append(Html.note("The same rounds "
                    + "against the CPU time the run's process had spent by then (core-seconds, the held-out rounds "
                    + "before included; mean over seeds).")).append(secondsChart).append('\n');
        }
        return html.toString();
    }

    private static Chart.Series rewardSeries(String label, String color, List<StudyResult> runs) {
        int n = runs.stream().mapToInt(r -> r.curves().meanReward().length).min().orElse(0);
        double perIteration = perIteration(runs.get(0));
        int bin = Math.max(1, (n + POINTS - 1) / POINTS);
        int points = (n + bin - 1) / bin;
        double[] x = new double[points];
        double[][] perRun = new double[runs.size()][points];
        for (int p = 0; p < points; p++) {
            int from = p * bin;
            int to = Math.min(n, from + bin);
            x[p] = to * perIteration;
            for (int r = 0; r < runs.size(); r++) {
                double sum = 0;
                for (int i = from; i < to; i++) {
                    sum += runs.get(r).curves().meanReward()[i];
                }
                perRun[r][p] = sum / (to - from);
            }
        }
        return series(label, color, x, perRun);
    }

    /**
     * The held-out rounds of {@code runs} against {@code at}: per run, per round, where the round sits on the x axis
     * (the mean over runs is drawn).
     */
    private static Chart.Series heldOutSeries(String label, String color, List<StudyResult> runs, double[][] at) {
        int n = runs.stream().mapToInt(r -> r.curves().heldOutIteration().length).min().orElse(0);
        double[] x = new double[n];
        double[][] perRun = new double[runs.size()][n];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < runs.size(); r++) {
                x[i] += at[r][i] / runs.size();
                perRun[r][i] = runs.get(r).curves().heldOutAccuracy()[i];
            }
        }
        return series(label, color, x, perRun);
    }

    /** Mean and sample standard deviation over runs at each point. */
    private static Chart.Series series(String label, String color, double[] x, double[][] perRun) {
        double[] mean = new double[x.length];
        double[] sd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double[] at = new double[perRun.length];
            for (int r = 0; r < perRun.length; r++) {
                at[r] = perRun[r][i];
            }
            mean[i] = Statistics.mean(at);
            sd[i] = Statistics.sd(at);
        }
        return new Chart.Series(label, color, x, mean, sd, false);
    }

    /** Per run, per held-out round: the completions sampled by then. */
    private static double[][] completions(List<StudyResult> runs) {
        double[][] out = new double[runs.size()][];
        for (int r = 0; r < runs.size(); r++) {
            long[] rounds = runs.get(r).curves().heldOutIteration();
            out[r] = new double[rounds.length];
            for (int i = 0; i < rounds.length; i++) {
                out[r][i] = rounds[i] * perIteration(runs.get(r));
            }
        }
        return out;
    }

    /**
     * Per run, per held-out round: the core-seconds its process had spent by then, from the run's step log
     * ({@link StepLog#COUNTS}); none when a run lacks the counts (an older run, or a step not timed).
     */
    private static double[][] coreSeconds(StudyPlan plan, List<StudyResult> runs) {
        double[][] out = new double[runs.size()][];
        for (int r = 0; r < runs.size(); r++) {
            double[] perStep = StepLog.column(plan.dir().resolve("runs").resolve(runs.get(r).name()),
                    StepLog.CORE_SECONDS);
            long[] rounds = runs.get(r).curves().heldOutIteration();
            out[r] = new double[rounds.length];
            for (int i = 0; i < rounds.length; i++) {
                if (rounds[i] > perStep.length) {
                    return new double[0][];
                }
                for (int t = 0; t < rounds[i]; t++) {
                    out[r][i] += perStep[t];
                }
                if (!Double.isFinite(out[r][i])) {
                    return new double[0][];
                }
            }
        }
        return out;
    }

    private static double perIteration(StudyResult r) {
        return r.iterations() == 0 ? 0 : (double) r.cost().completions() / r.iterations();
    }
}
