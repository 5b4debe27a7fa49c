package dev.esactors.train.study;

import dev.esactors.core.io.AtomicFiles;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A study's figures: per run (summary.csv), per setting (mean and standard deviation over seeds), and per method
 * the setting validation chooses, its test scores, and how far apart the axis's best and worst settings are on test
 * (sensitivity). Standard deviations are over seeds, with Bessel's correction; "-" for a single seed.
 */
public final class StudySummary {

    /**
     * One method's line of the comparison.
     *
     * @param method          es or grpo
     * @param axis            the key its axis varied
     * @param best            the value validation chose (accuracy, then mean reward, averaged over seeds)
     * @param seeds           runs at that value
     * @param testAccuracy    mean test accuracy at that value
     * @param testAccuracySd  its standard deviation over seeds
     * @param testReward      mean test reward at that value
     * @param testRewardSd    its standard deviation over seeds
     * @param sensitivity     the best minus the worst setting's mean test accuracy
     * @param completions     completions sampled per run
     * @param generatedTokens mean tokens generated per run
     * @param trainedTokens   mean tokens trained on (backpropagated through) per run
     * @param stateBytes      bytes of model state a run holds ({@link StudyPlan#stateBytes})
     * @param peakRssBytes    the largest peak resident memory of its runs' processes (-1 unknown)
     * @param seconds         mean wall time per run
     * @param cpuSeconds      mean CPU time (core-seconds) per run
     */
    public record MethodLine(String method, String axis, String best, int seeds, double testAccuracy,
                             double testAccuracySd, double testReward, double testRewardSd, double sensitivity,
                             long completions, double generatedTokens, double trainedTokens, long stateBytes,
                             long peakRssBytes, double seconds, double cpuSeconds) {
    }

    private final StudyPlan plan;
    private final List<StudyResult> results;

    StudySummary(StudyPlan plan, List<StudyResult> results) {
        this.plan = plan;
        this.results = List.copyOf(results);
    }

    public List<StudyResult> results() {
        return results;
    }

    /** Per method, in the plan's order. */
    public List<MethodLine> methods() {
        List<MethodLine> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<StudyResult>>> method : bySetting().entrySet()) {
            Map<String, List<StudyResult>> settings = method.getValue();
            String best = null;
            double worstTest = Double.POSITIVE_INFINITY;
            double bestTest = Double.NEGATIVE_INFINITY;
            for (Map.Entry<String, List<StudyResult>> s : settings.entrySet()) {
                if (best == null || chooses(s.getValue(), settings.get(best))) {
                    best = s.getKey();
                }
                double test = mean(s.getValue(), StudyResult::testAccuracy);
                worstTest = Math.min(worstTest, test);
                bestTest = Math.max(bestTest, test);
            }
            List<StudyResult> chosen = settings.get(best);
            StudyPlan.PlannedRun first = plan.runs().stream().filter(r -> r.method().equals(method.getKey()))
                    .findFirst().orElseThrow();
            String axis = first.axis();
            out.add(new MethodLine(method.getKey(), axis, best, chosen.size(), mean(chosen, StudyResult::testAccuracy),
                    sd(chosen, StudyResult::testAccuracy), mean(chosen, StudyResult::testReward),
                    sd(chosen, StudyResult::testReward), bestTest - worstTest, chosen.get(0).cost().completions(),
                    mean(chosen, r -> r.cost().generatedTokens()), mean(chosen, r -> r.cost().trainedTokens()),
                    StudyPlan.stateBytes(first.config()),
                    chosen.stream().mapToLong(r -> r.cost().peakRssBytes()).max().orElse(-1),
                    mean(chosen, r -> r.cost().seconds()), mean(chosen, r -> r.cost().cpuSeconds())));
        }
        return out;
    }

    /** Whether setting {@code a} beats {@code b} on validation: accuracy, then mean reward, over seeds. */
    private static boolean chooses(List<StudyResult> a, List<StudyResult> b) {
        double accA = mean(a, StudyResult::validationAccuracy);
        double accB = mean(b, StudyResult::validationAccuracy);
        return accA > accB || (accA == accB
                && mean(a, StudyResult::validationReward) > mean(b, StudyResult::validationReward));
    }

    /** method -> value -> runs, in the plan's order. */
    Map<String, Map<String, List<StudyResult>>> bySetting() {
        Map<String, Map<String, List<StudyResult>>> out = new LinkedHashMap<>();
        for (StudyResult r : results) {
            out.computeIfAbsent(r.method(), m -> new LinkedHashMap<>())
                    .computeIfAbsent(r.value(), v -> new ArrayList<>()).add(r);
        }
        return out;
    }

    /** The comparison as text lines (the console's and the report's). */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%-6s %-22s %-10s %5s %16s %16s %11s %11s %10s %10s %8s %8s %7s %7s",
                "method", "axis", "chosen", "seeds", "test accuracy", "test reward", "sensitivity", "completions",
                "generated", "trained", "state MB", "peak MB", "s/run", "core-s"));
        for (MethodLine m : methods()) {
            out.add(String.format(Locale.ROOT, "%-6s %-22s %-10s %5d %16s %16s %10.1f%% %11d %10s %10s %8.2f %8s "
                            + "%7.0f %7.0f", m.method(), m.axis(), m.best(), m.seeds(),
                    percent(m.testAccuracy(), m.testAccuracySd()), plain(m.testReward(), m.testRewardSd()),
                    100 * m.sensitivity(), m.completions(), count(m.generatedTokens()), count(m.trainedTokens()),
                    m.stateBytes() / 1e6, m.peakRssBytes() < 0 ? "-" : String.format(Locale.ROOT, "%.0f",
                            m.peakRssBytes() / 1e6), m.seconds(), m.cpuSeconds()));
        }
        return out;
    }

    private static String count(double tokens) {
        return Double.isNaN(tokens) ? "-" : String.format(Locale.ROOT, "%.0f", tokens);
    }

    /** Writes summary.csv (one line per run) and report.html (per method, then per setting) into the study dir. */
    void write() {
        StringBuilder csv = new StringBuilder("run,method,value,seed,iterations,completions,seconds,"
                + "validation_accuracy,validation_reward,test_accuracy,test_reward,base_test_accuracy,"
                + "base_test_reward,generated_tokens,trained_tokens,cpu_seconds,peak_rss_bytes,sha256\n");
        for (StudyResult r : results) {
            StudyResult.Cost c = r.cost();
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%d,%.1f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%s,%s,%.1f,%d,"
                            + "%s%n", r.name(), r.method(), r.value(), r.seed(), r.iterations(), c.completions(),
                    c.seconds(), r.validationAccuracy(), r.validationReward(), r.testAccuracy(), r.testReward(),
                    r.baseTestAccuracy(), r.baseTestReward(), count(c.generatedTokens()), count(c.trainedTokens()),
                    c.cpuSeconds(), c.peakRssBytes(), r.hash()));
        }
        AtomicFiles.write(plan.dir().resolve("summary.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>study"
                + "</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}"
                + "</style></head><body>\n<h1>ES against GRPO</h1>\n<p>Validation chooses each method's setting "
                + "(accuracy, then mean reward, averaged over seeds); the test set only reports. Means and standard "
                + "deviations over seeds.</p>\n<pre>");
        lines().forEach(l -> html.append(l).append('\n'));
        html.append("</pre>\n<p>generated: tokens sampled per run; trained: completion tokens backpropagated through "
                + "(ES: none); state: bytes of weights, gradients and optimizer state; peak: the largest peak resident "
                + "memory of a run's process (JVM and LibTorch included); core-s: CPU time per run.</p>\n");
        html.append(StudyCurves.html(this));
        html.append("<h2>Every setting</h2>\n<table><tr><th>method</th><th>value</th><th>seeds</th>"
                + "<th>validation accuracy</th><th>test accuracy</th><th>test reward</th></tr>\n");
        for (Map.Entry<String, Map<String, List<StudyResult>>> m : bySetting().entrySet()) {
            for (Map.Entry<String, List<StudyResult>> s : m.getValue().entrySet()) {
                List<StudyResult> runs = s.getValue();
                html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td>"
                                + "<td>%s</td></tr>%n", m.getKey(), s.getKey(), runs.size(),
                        percent(mean(runs, StudyResult::validationAccuracy), sd(runs, StudyResult::validationAccuracy)),
                        percent(mean(runs, StudyResult::testAccuracy), sd(runs, StudyResult::testAccuracy)),
                        plain(mean(runs, StudyResult::testReward), sd(runs, StudyResult::testReward))));
            }
        }
        html.append("</table>\n</body></html>\n");
        AtomicFiles.write(plan.dir().resolve("report.html"), html.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String percent(double mean, double sd) {
        return String.format(Locale.ROOT, "%.1f%% +- %s", 100 * mean,
                Double.isNaN(sd) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * sd));
    }

    private static String plain(double mean, double sd) {
        return String.format(Locale.ROOT, "%.3f +- %s", mean,
                Double.isNaN(sd) ? "-" : String.format(Locale.ROOT, "%.3f", sd));
    }

    static double mean(List<StudyResult> runs, ToDoubleFunction<StudyResult> f) {
        return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    /** The sample standard deviation (n - 1); NaN for fewer than two runs. */
    static double sd(List<StudyResult> runs, ToDoubleFunction<StudyResult> f) {
        if (runs.size() < 2) {
            return Double.NaN;
        }
        double m = mean(runs, f);
        double squares = runs.stream().mapToDouble(f).map(x -> (x - m) * (x - m)).sum();
        return Math.sqrt(squares / (runs.size() - 1));
    }
}
