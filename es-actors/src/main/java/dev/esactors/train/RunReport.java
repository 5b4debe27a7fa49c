package dev.esactors.train;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;
import dev.esactors.train.report.Chart;
import dev.esactors.train.report.Html;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The run report: a page in a fixed order (summary, base vs final, training reward, the held-out rounds' accuracy, KL
 * to the base model and weight drift, the settings), its curves drawn by {@link Chart}; the per-iteration figures go to
 * rewards.csv, linked from it.
 */
public final class RunReport {

    private RunReport() {
    }

    /**
     * Writes {@code report.html} and {@code rewards.csv} into {@code dir} from each iteration's raw rewards (ES:
     * the population's; GRPO: the sampled completions'), {@code method} describing the hyperparameters.
     */
    public static Path write(RunConfig config, List<double[]> iterations, String method,
                             List<FinalEvaluation.Row> evaluation, List<RunEvent.HeldOut> heldOut, Path dir) {
        double[] mean = new double[iterations.size()];
        double[] max = new double[iterations.size()];
        StringBuilder csv = new StringBuilder(
                "iteration,mean_reward,max_reward,min_reward,distinct_rewards,tied_share\n");
        int tied = 0;
        for (int i = 0; i < iterations.size(); i++) {
            double sum = 0;
            int n = 0;
            double hi = Double.NEGATIVE_INFINITY;
            double lo = Double.POSITIVE_INFINITY;
            for (double r : iterations.get(i)) {
                if (Double.isFinite(r)) {
                    sum += r;
                    n++;
                    hi = Math.max(hi, r);
                    lo = Math.min(lo, r);
                }
            }
            mean[i] = n == 0 ? 0 : sum / n;
            max[i] = n == 0 ? 0 : hi;
            int distinct = Update.distinct(iterations.get(i));
            tied += distinct == 1 ? 1 : 0;
            csv.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%d,%.4f%n", i, mean[i], max[i], n == 0 ? 0 : lo,
                    distinct, Update.tiedShare(iterations.get(i))));
        }
        AtomicFiles.write(dir.resolve("rewards.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder body = new StringBuilder("<h1>Run " + Html.escape(config.id()) + "</h1>\n");
        body.append(Html.section("Summary")).append(Html.note("Task <b>" + Html.escape(config.task().name())
                + "</b> " + Html.escape(config.shown(config.task().options().toString())) + ", model <b>"
                + Html.escape(config.model().path() == null ? "stories260K (embedded)"
                        : config.shown(config.model().path().toString()))
                + "</b>, " + iterations.size() + " iterations, " + Html.escape(method) + ". Iterations in which "
                + "every reward was the same: " + tied + " of " + iterations.size() + ". Per iteration (mean, max "
                + "and min reward, distinct rewards, the share tied with the most common one): "
                + "<a href=\"rewards.csv\">rewards.csv</a>." + finalHeldOut(heldOut)));
        body.append(Html.section("Base vs final")).append(evaluationTable(evaluation));
        body.append(Html.section("Training reward")).append(Html.note("Mean reward of the completions each "
                + "iteration sampled (ES: the perturbed population's; GRPO: the policy's sampled ones), raw and as a "
                + "moving average, and the best one's."));
        double[] x = new double[mean.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        int window = Math.max(Math.min(5, mean.length), mean.length / 20); // a twentieth of the run, 5 at least
        body.append(Chart.svg("training reward", List.of(
                new Chart.Series("mean reward", Chart.PALETTE[0], x, mean, new double[0], true),
                Chart.Series.line("mean reward, moving average of " + window, Chart.PALETTE[0], x,
                        Chart.movingAverage(mean, window)),
                new Chart.Series("max reward", Chart.PALETTE[3], x, max, new double[0], true)), "iteration",
                "reward")).append('\n');
        body.append(HeldOutReport.html(heldOut));
        body.append(Html.section("Settings")).append(Html.note("The run file as read (also in <a href=\"run.conf\">"
                + "run.conf</a>; every key is documented in es-run-defaults.conf):"))
                .append("<pre>").append(Html.escape(config.shown(config.source().hocon()))).append("</pre>\n");
        Path report = dir.resolve("report.html");
        AtomicFiles.write(report, Html.page("es-actors run " + config.id(), body.toString())
                .getBytes(StandardCharsets.UTF_8));
        return report;
    }

    /** The last held-out round's figures, for the summary. */
    private static String finalHeldOut(List<RunEvent.HeldOut> heldOut) {
        if (heldOut.isEmpty()) {
            return "";
        }
        RunEvent.HeldOut last = heldOut.get(heldOut.size() - 1);
        return String.format(Locale.ROOT, " Held-out accuracy on %s: %.1f%% after iteration %d (best %.1f%% after "
                        + "%d).", Html.escape(last.dataset().getFileName().toString()), 100 * last.accuracy(),
                last.iteration(), 100 * last.bestAccuracy(), last.bestIteration());
    }

    /** The base-vs-trained table, as text lines (for the console) and HTML (for the report). */
    public static List<String> evaluationLines(List<FinalEvaluation.Row> rows) {
        List<String> lines = new java.util.ArrayList<>();
        if (rows.isEmpty()) {
            return lines;
        }
        // "ES" or "GRPO", or "ES@<iteration>" for weights chosen on the validation dataset (eval.final-weights = best)
        lines.add(String.format(Locale.ROOT, "%-44s %6s %10s %10s %8s %12s %12s", "evaluation dataset", "items", "base",
                rows.get(0).tuned().model(), "change", "reward base", "reward " + rows.get(0).tuned().model()));
        for (FinalEvaluation.Row r : rows) {
            lines.add(String.format(Locale.ROOT, "%-44s %6d %9.1f%% %9.1f%% %+7.1f pts %12.4f %12.4f", r.label(),
                    r.base().items(), 100 * r.base().accuracy(), 100 * r.tuned().accuracy(),
                    100 * (r.tuned().accuracy() - r.base().accuracy()), r.base().meanReward(),
                    r.tuned().meanReward()));
        }
        int k = rows.get(0).base().samples();
        if (k > 0 && rows.get(0).tuned().samples() == k) {
            String tuned = rows.get(0).tuned().model();
            lines.add(String.format(Locale.ROOT, "%-44s %6s %8s %8s %8s %8s %8s %8s", "sampled, " + k + " per item",
                    "items", "pass@1", tuned, "pass@" + k, tuned, "maj@" + k, tuned));
            for (FinalEvaluation.Row r : rows) {
                lines.add(String.format(Locale.ROOT, "%-44s %6d %8s %8s %8s %8s %8s %8s", r.label(),
                        r.base().items(), percent(r.base().passAt(1)), percent(r.tuned().passAt(1)),
                        percent(r.base().passAt(k)), percent(r.tuned().passAt(k)), percent(r.base().majority()),
                        percent(r.tuned().majority())));
            }
        }
        return lines;
    }

    private static String evaluationTable(List<FinalEvaluation.Row> rows) {
        if (rows.isEmpty()) {
            return Html.note("No eval.datasets: the run scored no dataset with the base and the final weights.");
        }
        StringBuilder sb = new StringBuilder("<p>Greedy accuracy and mean reward:</p>\n<div class=\"scroll\"><table>"
                + "<tr><th>dataset</th>"
                + "<th>items</th><th>base</th><th>" + escape(rows.get(0).tuned().model()) + "</th><th>change</th>"
                + "<th>mean reward base</th><th>mean reward " + escape(rows.get(0).tuned().model()) + "</th></tr>\n");
        for (FinalEvaluation.Row r : rows) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%.1f%%</td><td>%.1f%%</td><td>%+.1f pts</td>"
                            + "<td>%.4f</td><td>%.4f</td></tr>%n", escape(r.label()), r.base().items(),
                    100 * r.base().accuracy(), 100 * r.tuned().accuracy(), 100 * (r.tuned().accuracy() - r.base().accuracy()),
                    r.base().meanReward(), r.tuned().meanReward()));
        }
        sb.append("</table></div>\n");
        int k = rows.get(0).base().samples();
        if (k > 0 && rows.get(0).tuned().samples() == k) {
            String tuned = escape(rows.get(0).tuned().model());
            sb.append("<p>").append(k).append(" sampled answers per item:</p>\n<div class=\"scroll\"><table><tr>"
                    + "<th>dataset</th><th>pass@1 base</th><th>pass@1 ").append(tuned).append("</th><th>pass@")
                    .append(k).append(" base</th><th>pass@").append(k).append(' ').append(tuned).append("</th><th>maj@")
                    .append(k).append(" base</th><th>maj@").append(k).append(' ').append(tuned)
                    .append("</th><th>pass@k base, k = 1..").append(k).append("</th><th>pass@k ").append(tuned)
                    .append("</th></tr>\n");
            for (FinalEvaluation.Row r : rows) {
                sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                                + "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>%n",
                        escape(r.label()), percent(r.base().passAt(1)), percent(r.tuned().passAt(1)),
                        percent(r.base().passAt(k)), percent(r.tuned().passAt(k)), percent(r.base().majority()),
                        percent(r.tuned().majority()), curve(r.base()), curve(r.tuned())));
            }
            sb.append("</table></div>\n");
        }
        return sb.toString();
    }

    /** A share as a percentage, or "-" where there is none (maj@k of a task whose answers are not voted on). */
    public static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    private static String curve(Evaluation.Summary s) {
        StringBuilder out = new StringBuilder();
        for (double p : s.passAtK()) {
            out.append(out.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f", 100 * p));
        }
        return out.toString();
    }

    private static String escape(String s) {
        return Html.escape(s);
    }
}
