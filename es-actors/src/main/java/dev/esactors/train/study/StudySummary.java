package dev.esactors.train.study;

import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.report.Html;
import dev.esactors.train.report.Table;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A study's figures: per run (summary.csv), per setting (mean and standard deviation over seeds), and per arm the
 * setting validation chooses on the screening seeds, its test scores over every seed it ran (screening and
 * confirmation) with a bootstrap interval, whether the choice sits at an edge of its grid, and how far apart the
 * arm's best and worst settings are on test (sensitivity); then paired comparisons of the best ES arm with the best
 * GRPO arm, of every other arm with the other method's best, and of the two arms validation ranks first. Standard
 * deviations are over seeds, with Bessel's correction; "-" for a single seed.
 */
public final class StudySummary {

    /**
     * One arm's line of the comparison.
     *
     * @param arm             its name
     * @param method          es or grpo
     * @param axis            the keys its axes varied, joined by " x " ("-" for none)
     * @param best            the setting validation chose (accuracy, then mean reward, averaged over the screening
     *                        seeds)
     * @param edge            per axis, where the chosen value sits in it ("lowest", "highest" or "" inside), joined
     *                        by " x "; empty when every value is inside: a search that should go on past an edge
     * @param seeds           runs at that setting (screening and confirmation)
     * @param testAccuracy    mean test accuracy at that setting
     * @param testAccuracySd  its standard deviation over seeds
     * @param testInterval    the 95% percentile bootstrap interval of that mean over the seeds' runs
     * @param testReward      mean test reward at that setting
     * @param testRewardSd    its standard deviation over seeds
     * @param validation      mean validation accuracy at that setting (what ranks the arms)
     * @param sensitivity     the best minus the worst setting's mean test accuracy (screening seeds)
     * @param beatsBase       the share of its settings whose mean test accuracy (screening seeds) is above the base
     *                        model's
     * @param completions     completions sampled per run
     * @param generatedTokens mean tokens generated per run
     * @param trainedTokens   mean tokens trained on (backpropagated through) per run
     * @param stateBytes      bytes of model state a run holds ({@link RunCosts#stateBytes})
     * @param peakRssBytes    the largest peak resident memory of its runs' processes (-1 unknown)
     * @param seconds         mean wall time per run
     * @param cpuSeconds      mean CPU time (core-seconds) per run
     * @param flops           mean estimated floating-point operations per run ({@link RunCosts#flops})
     */
    public record ArmLine(String arm, String method, String axis, String best, String edge, int seeds,
                          double testAccuracy, double testAccuracySd, Statistics.Interval testInterval,
                          double testReward, double testRewardSd, double validation, double sensitivity,
                          double beatsBase,
                          long completions, double generatedTokens, double trainedTokens, long stateBytes,
                          long peakRssBytes, double seconds, double cpuSeconds, double flops) {
    }

    /**
     * Two arms compared item by item on the test set at their chosen settings, the one validation ranks higher first.
     *
     * @param first       the arm validation ranks higher
     * @param second      the other
     * @param difference  first's mean test accuracy minus second's
     * @param interval    the 95% paired bootstrap interval of that difference (items and seeds resampled)
     * @param onlyFirst   (seed, item) pairs only the first got right, seeds matched in order
     * @param onlySecond  and only the second
     * @param mcNemarP    McNemar's exact two-sided p of those discordant pairs
     * @param sdFirst     the standard deviation of first's test accuracy over its seeds
     * @param sdSecond    and of second's
     * @param varianceP   the F-test's two-sided p of equal variances over seeds ({@link Statistics#varianceRatio})
     */
    public record Paired(String first, String second, double difference, Statistics.Interval interval,
                         int onlyFirst, int onlySecond, double mcNemarP, double sdFirst, double sdSecond,
                         double varianceP) {
    }

    /** Each run's right (1) and wrong (0) test items in the dataset's order, written by {@link Study#inProcess}. */
    static final String TEST_ITEMS = "test-items.txt";

    private final StudyPlan plan;
    /** Every run's result, in the order they ran. */
    private final List<StudyResult> all;
    /** The screening and confirmation runs': what the comparison's figures rest on. */
    private final List<StudyResult> results;

    StudySummary(StudyPlan plan, List<StudyResult> results) {
        this.plan = plan;
        this.all = List.copyOf(results);
        this.results = compared(plan, results);
    }

    /** Every run's result: the comparison's, then the controls' and other budgets'. */
    public List<StudyResult> results() {
        return all;
    }

    StudyPlan plan() {
        return plan;
    }

    private static List<StudyResult> compared(StudyPlan plan, List<StudyResult> results) {
        return results.stream().filter(r -> plan.stageOf(r.name()).compared()).toList();
    }

    /** Per arm, in the plan's order: the setting its screening runs choose ("" for an arm without axes). */
    static Map<String, String> chosen(StudyPlan plan, List<StudyResult> results) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, List<StudyResult>>> arm : bySetting(compared(plan, results)).entrySet()) {
            String best = null;
            for (Map.Entry<String, List<StudyResult>> s : arm.getValue().entrySet()) {
                List<StudyResult> screened = screening(plan, s.getValue());
                if (best == null || chooses(screened, screening(plan, arm.getValue().get(best)))) {
                    best = s.getKey();
                }
            }
            out.put(arm.getKey(), best);
        }
        return out;
    }

    private static List<StudyResult> screening(StudyPlan plan, List<StudyResult> runs) {
        return runs.stream().filter(r -> plan.screenSeeds().contains(r.seed())).toList();
    }

    /** Per arm, in the plan's order. */
    public List<ArmLine> arms() {
        List<ArmLine> out = new ArrayList<>();
        Map<String, String> chosen = chosen(plan, results);
        for (Map.Entry<String, Map<String, List<StudyResult>>> arm : bySetting(results).entrySet()) {
            Map<String, List<StudyResult>> settings = arm.getValue();
            String best = chosen.get(arm.getKey());
            double worstTest = Double.POSITIVE_INFINITY;
            double bestTest = Double.NEGATIVE_INFINITY;
            int above = 0;
            for (List<StudyResult> runs : settings.values()) {
                double test = mean(screening(plan, runs), StudyResult::testAccuracy);
                worstTest = Math.min(worstTest, test);
                bestTest = Math.max(bestTest, test);
                above += test > mean(runs, StudyResult::baseTestAccuracy) ? 1 : 0;
            }
            List<StudyResult> runs = settings.get(best);
            StudyPlan.Arm planned = plan.arms().stream().filter(a -> a.name().equals(arm.getKey())).findFirst()
                    .orElseThrow();
            StudyPlan.PlannedRun first = plan.runs().stream().filter(r -> r.arm().equals(arm.getKey()))
                    .findFirst().orElseThrow();
            double[] tests = runs.stream().mapToDouble(StudyResult::testAccuracy).toArray();
            out.add(new ArmLine(arm.getKey(), planned.method(), planned.axes().isEmpty() ? "-"
                    : String.join(" x ", planned.axes().stream().map(StudyPlan.Axis::key).toList()), best,
                    edges(planned, best), runs.size(), mean(runs, StudyResult::testAccuracy),
                    sd(runs, StudyResult::testAccuracy), Statistics.bootstrapMean(tests, Statistics.RESAMPLES, 1,
                    0.95), mean(runs, StudyResult::testReward), sd(runs, StudyResult::testReward),
                    mean(runs, StudyResult::validationAccuracy), bestTest - worstTest,
                    (double) above / settings.size(),
                    runs.get(0).cost().completions(), mean(runs, r -> r.cost().generatedTokens()),
                    mean(runs, r -> r.cost().trainedTokens()), RunCosts.stateBytes(first.config()),
                    runs.stream().mapToLong(r -> r.cost().peakRssBytes()).max().orElse(-1),
                    mean(runs, r -> r.cost().seconds()), mean(runs, r -> r.cost().cpuSeconds()),
                    mean(runs, r -> r.cost().flops())));
        }
        return out;
    }

    /** The edge flags of {@code setting} (values joined by " x ") on {@code arm}'s axes; "" when none is at an edge. */
    private static String edges(StudyPlan.Arm arm, String setting) {
        if (arm.axes().isEmpty()) {
            return "";
        }
        String[] values = setting.split(" x ", -1);
        List<String> flags = new ArrayList<>();
        for (int a = 0; a < arm.axes().size(); a++) {
            flags.add(edge(arm.axes().get(a).values(), values[a]));
        }
        if (flags.stream().allMatch(String::isEmpty)) {
            return "";
        }
        List<String> shown = new ArrayList<>();
        for (int a = 0; a < flags.size(); a++) {
            shown.add(!flags.get(a).isEmpty() ? flags.get(a) : arm.axes().get(a).values().size() == 1 ? "fixed"
                    : "inside");
        }
        return String.join(" x ", shown);
    }

    /**
     * Where {@code chosen} sits among an axis's {@code values}: "lowest" or "highest" when it is the grid's first or
     * last value (by number when every value is one, else as written), "" inside or on an axis of one value.
     */
    static String edge(List<String> values, String chosen) {
        List<String> ordered = new ArrayList<>(values);
        if (values.stream().allMatch(StudyArms::numeric)) {
            ordered.sort(java.util.Comparator.comparingDouble(Double::parseDouble));
        }
        int at = ordered.indexOf(chosen);
        if (at < 0) {
            throw new IllegalArgumentException(chosen + " is not one of " + values);
        }
        return ordered.size() == 1 ? "" : at == ordered.size() - 1 ? "highest" : at == 0 ? "lowest" : "";
    }

    /**
     * The paired comparisons on the test set's items at the arms' chosen settings (runs without {@link #TEST_ITEMS}
     * left out): the best ES arm against the best GRPO arm by validation accuracy, the question a study asks, when it
     * has both, then every other arm against the other method's best; and the two best arms, when they are another
     * pair. Empty with fewer than two arms that have items.
     */
    public List<Paired> paired() {
        List<ArmLine> ranked = new ArrayList<>(arms());
        ranked.sort(java.util.Comparator.comparingDouble(ArmLine::validation).reversed());
        Map<String, Map<String, List<StudyResult>>> settings = bySetting(results);
        Map<String, boolean[][]> items = new java.util.LinkedHashMap<>();
        for (ArmLine line : ranked) {
            boolean[][] outcomes = items(settings.get(line.arm()).get(line.best()));
            if (outcomes.length > 0) {
                items.put(line.arm(), outcomes);
            }
        }
        List<ArmLine> withItems = ranked.stream().filter(l -> items.containsKey(l.arm())).toList();
        List<List<ArmLine>> pairs = new ArrayList<>();
        java.util.Optional<ArmLine> es = withItems.stream().filter(l -> l.method().equals("es")).findFirst();
        java.util.Optional<ArmLine> grpo = withItems.stream().filter(l -> l.method().equals("grpo")).findFirst();
        if (es.isPresent() && grpo.isPresent()) {
            pairs.add(inRank(withItems, es.get(), grpo.get()));
            // then every other arm against the other method's best: whether any variant of the losing method
            // closes the gap is the next question a reader asks, and it needs the same test
            for (ArmLine arm : withItems) {
                List<ArmLine> pair = inRank(withItems, arm, arm.method().equals("es") ? grpo.get() : es.get());
                if (!pairs.contains(pair)) {
                    pairs.add(pair);
                }
            }
        }
        if (withItems.size() >= 2 && !pairs.contains(withItems.subList(0, 2))) {
            pairs.add(List.copyOf(withItems.subList(0, 2)));
        }
        List<Paired> out = new ArrayList<>();
        for (List<ArmLine> pair : pairs) {
            boolean[][] a = items.get(pair.get(0).arm());
            boolean[][] b = items.get(pair.get(1).arm());
            if (a[0].length != b[0].length) {
                continue;
            }
            int onlyA = 0;
            int onlyB = 0;
            for (int s = 0; s < Math.min(a.length, b.length); s++) {
                for (int i = 0; i < a[s].length; i++) {
                    onlyA += a[s][i] && !b[s][i] ? 1 : 0;
                    onlyB += !a[s][i] && b[s][i] ? 1 : 0;
                }
            }
            double[] seedsA = perSeed(a);
            double[] seedsB = perSeed(b);
            double varianceP = seedsA.length > 1 && seedsB.length > 1
                    ? Statistics.varianceRatio(seedsA, seedsB).p() : Double.NaN;
            out.add(new Paired(pair.get(0).arm(), pair.get(1).arm(), accuracy(a) - accuracy(b),
                    Statistics.pairedBootstrap(a, b, Statistics.RESAMPLES, 1, 0.95), onlyA, onlyB,
                    Statistics.mcNemar(onlyA, onlyB), Statistics.sd(seedsA), Statistics.sd(seedsB), varianceP));
        }
        return out;
    }

    /** The two arms, the one validation ranks higher ({@code ranked} earlier) first. */
    private static List<ArmLine> inRank(List<ArmLine> ranked, ArmLine a, ArmLine b) {
        return ranked.indexOf(a) < ranked.indexOf(b) ? List.of(a, b) : List.of(b, a);
    }

    /** Each run's share of items right. */
    private static double[] perSeed(boolean[][] runs) {
        double[] out = new double[runs.length];
        for (int s = 0; s < runs.length; s++) {
            int right = 0;
            for (boolean item : runs[s]) {
                right += item ? 1 : 0;
            }
            out[s] = (double) right / runs[s].length;
        }
        return out;
    }

    /** The runs' test items, seed by seed (runs without them left out). */
    private boolean[][] items(List<StudyResult> runs) {
        List<boolean[]> out = new ArrayList<>();
        for (StudyResult r : runs) {
            java.nio.file.Path file = plan.dir().resolve("runs").resolve(r.name()).resolve(TEST_ITEMS);
            if (java.nio.file.Files.isRegularFile(file)) {
                try {
                    String text = java.nio.file.Files.readString(file).trim();
                    boolean[] right = new boolean[text.length()];
                    for (int i = 0; i < right.length; i++) {
                        right[i] = text.charAt(i) == '1';
                    }
                    out.add(right);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot read " + file, e);
                }
            }
        }
        return out.toArray(new boolean[0][]);
    }

    /** The share of items right over every run (each run answers the same items). */
    private static double accuracy(boolean[][] runs) {
        return Statistics.mean(perSeed(runs));
    }

    /** Whether setting {@code a} beats {@code b} on validation: accuracy, then mean reward, over seeds. */
    private static boolean chooses(List<StudyResult> a, List<StudyResult> b) {
        double accA = mean(a, StudyResult::validationAccuracy);
        double accB = mean(b, StudyResult::validationAccuracy);
        return accA > accB || (accA == accB
                && mean(a, StudyResult::validationReward) > mean(b, StudyResult::validationReward));
    }

    /** arm -> setting -> runs, in the plan's order. */
    Map<String, Map<String, List<StudyResult>>> bySetting() {
        return bySetting(results);
    }

    private static Map<String, Map<String, List<StudyResult>>> bySetting(List<StudyResult> results) {
        Map<String, Map<String, List<StudyResult>>> out = new LinkedHashMap<>();
        for (StudyResult r : results) {
            out.computeIfAbsent(r.arm(), m -> new LinkedHashMap<>())
                    .computeIfAbsent(r.value(), v -> new ArrayList<>()).add(r);
        }
        return out;
    }

    /** The comparison: one row per arm at its chosen setting. */
    Table comparison() {
        Table table = Table.of("arm", "method", "axis", "chosen", "seeds", "test accuracy", "95% interval",
                "test reward", "sensitivity", "beat base", "completions", "generated", "trained", "state MB",
                "peak MB", "s/run", "core-s", "TFLOP");
        for (ArmLine m : arms()) {
            table = table.row(m.arm(), m.method(), m.axis(), m.best().isEmpty() ? "-" : m.best(), m.seeds(),
                    percent(m.testAccuracy(), m.testAccuracySd()), String.format(Locale.ROOT, "%.1f-%.1f%%",
                            100 * m.testInterval().low(), 100 * m.testInterval().high()),
                    plain(m.testReward(), m.testRewardSd()), String.format(Locale.ROOT, "%.1f%%",
                            100 * m.sensitivity()), String.format(Locale.ROOT, "%.0f%%", 100 * m.beatsBase()),
                    m.completions(), count(m.generatedTokens()), count(m.trainedTokens()),
                    String.format(Locale.ROOT, "%.2f", m.stateBytes() / 1e6), m.peakRssBytes() < 0 ? "-"
                            : String.format(Locale.ROOT, "%.0f", m.peakRssBytes() / 1e6),
                    String.format(Locale.ROOT, "%.0f", m.seconds()), String.format(Locale.ROOT, "%.0f",
                            m.cpuSeconds()), Double.isNaN(m.flops()) ? "-"
                            : String.format(Locale.ROOT, "%.3g", m.flops() / 1e12));
        }
        return table;
    }

    /** What the comparison flags and the paired test, as sentences. */
    private List<String> findings() {
        List<String> out = new ArrayList<>();
        for (ArmLine m : arms()) {
            if (!m.edge().isEmpty()) {
                out.add("edge: " + m.arm() + "'s choice " + m.best() + " is at its grid's " + m.edge() + " ("
                        + m.axis() + "): the best may lie beyond it, extend the grid");
            }
        }
        paired().forEach(p -> out.add(String.format(Locale.ROOT, "paired: %s - %s = %+.1f points on test, 95%% "
                        + "interval %+.1f to %+.1f (items and seeds resampled); McNemar over matched seeds: %d vs "
                        + "%d discordant items, p = %.3g; sd over seeds %.1f vs %.1f points, F-test of equal "
                        + "variances p = %s", p.first(), p.second(), 100 * p.difference(), 100 * p.interval().low(),
                100 * p.interval().high(), p.onlyFirst(), p.onlySecond(), p.mcNemarP(), 100 * p.sdFirst(),
                100 * p.sdSecond(), Double.isNaN(p.varianceP()) ? "- (no spread)"
                        : String.format(Locale.ROOT, "%.3g", p.varianceP()))));
        return out;
    }

    /** The study's figures as text lines (the console's): the comparison, its findings, the last stage's tables. */
    public List<String> lines() {
        List<String> out = new ArrayList<>(comparison().lines());
        out.addAll(findings());
        StudyFinalTables.parts(this, all).forEach(p -> out.addAll(p.lines()));
        return out;
    }

    private static String count(double tokens) {
        return Double.isNaN(tokens) ? "-" : String.format(Locale.ROOT, "%.0f", tokens);
    }

    /** Writes summary.csv (one line per run) and report.html (per method, then per setting) into the study dir. */
    void write() {
        StringBuilder csv = new StringBuilder("run,arm,method,value,seed,iterations,completions,seconds,"
                + "validation_accuracy,validation_reward,test_accuracy,test_reward,base_test_accuracy,"
                + "base_test_reward,generated_tokens,trained_tokens,cpu_seconds,peak_rss_bytes,flops,sha256,stage\n");
        for (StudyResult r : all) {
            StudyResult.Cost c = r.cost();
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%d,%d,%.1f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%s,%s,%.1f,"
                            + "%d,%.4g,%s,%s%n", r.name(), r.arm(), r.method(), r.value(), r.seed(), r.iterations(),
                    c.completions(), c.seconds(), r.validationAccuracy(), r.validationReward(), r.testAccuracy(),
                    r.testReward(),
                    r.baseTestAccuracy(), r.baseTestReward(), count(c.generatedTokens()), count(c.trainedTokens()),
                    c.cpuSeconds(), c.peakRssBytes(), c.flops(), r.hash(),
                    plan.stageOf(r.name()).name().toLowerCase(Locale.ROOT)));
        }
        AtomicFiles.write(plan.dir().resolve("summary.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder html = new StringBuilder("<h1>ES against GRPO</h1>\n");
        html.append(Html.section("Comparison")).append(Html.note("Validation chooses each arm's setting (accuracy, "
                + "then mean reward, averaged over the screening seeds); the test set only reports. Means and "
                + "standard deviations over every seed of the chosen setting, with a 95% bootstrap interval. "
                + "Generated: tokens sampled per run; trained: completion tokens backpropagated through (ES: none); "
                + "state: bytes of weights, gradients and optimizer state; peak: the largest peak resident memory of "
                + "a run's process (JVM and LibTorch included); core-s: CPU time per run. Every run: "
                + "<a href=\"summary.csv\">summary.csv</a>."));
        html.append(comparison().html());
        List<String> findings = findings();
        if (!findings.isEmpty()) {
            html.append("<ul>");
            findings.forEach(f -> html.append("<li>").append(escape(f)).append("</li>"));
            html.append("</ul>\n");
        }
        html.append(StudyCurves.html(this));
        StudyFinalTables.parts(this, all).forEach(p -> html.append(p.html()));
        Table settings = Table.of("arm", "value", "seeds", "validation accuracy", "test accuracy", "test reward");
        for (Map.Entry<String, Map<String, List<StudyResult>>> m : bySetting().entrySet()) {
            for (Map.Entry<String, List<StudyResult>> s : m.getValue().entrySet()) {
                List<StudyResult> runs = s.getValue();
                settings = settings.row(m.getKey(), s.getKey(), runs.size(),
                        percent(mean(runs, StudyResult::validationAccuracy), sd(runs, StudyResult::validationAccuracy)),
                        percent(mean(runs, StudyResult::testAccuracy), sd(runs, StudyResult::testAccuracy)),
                        plain(mean(runs, StudyResult::testReward), sd(runs, StudyResult::testReward)));
            }
        }
        html.append(Html.section("Every setting")).append(settings.html());
        AtomicFiles.write(plan.dir().resolve("report.html"), Html.page("study " + plan.dir().getFileName(),
                html.toString()).getBytes(StandardCharsets.UTF_8));
    }

    /** Text as HTML shows it literally: study values and arm names come from a file the user wrote. */
    static String escape(String text) {
        return Html.escape(text);
    }

    /** A share and its standard deviation as the tables show them: "25.0% +- 1.2" ("-" for no sd). */
    static String percent(double mean, double sd) {
        return String.format(Locale.ROOT, "%.1f%% +- %s", 100 * mean,
                Double.isNaN(sd) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * sd));
    }

    private static String plain(double mean, double sd) {
        return String.format(Locale.ROOT, "%.3f +- %s", mean,
                Double.isNaN(sd) ? "-" : String.format(Locale.ROOT, "%.3f", sd));
    }

    static double mean(List<StudyResult> runs, ToDoubleFunction<StudyResult> f) {
        return Statistics.mean(runs.stream().mapToDouble(f).toArray());
    }

    /** The sample standard deviation (n - 1); NaN for fewer than two runs. */
    static double sd(List<StudyResult> runs, ToDoubleFunction<StudyResult> f) {
        return Statistics.sd(runs.stream().mapToDouble(f).toArray());
    }
}
