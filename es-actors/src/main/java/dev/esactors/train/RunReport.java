package dev.esactors.train;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The run report: the reward curve as an SVG picture in an HTML page, and the same figures as CSV. */
public final class RunReport {

    private static final int WIDTH = 720;
    private static final int HEIGHT = 320;
    private static final int MARGIN = 48;

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
        String html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>es-actors run " + escape(config.id())
                + "</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}"
                + "</style></head><body>\n<h1>Run " + escape(config.id()) + "</h1>\n<p>Task <b>" + escape(config.task().name())
                + "</b> " + escape(config.shown(config.task().options().toString())) + ", model <b>"
                + escape(config.model().path() == null ? "stories260K (embedded)"
                        : config.shown(config.model().path().toString()))
                + "</b>, " + iterations.size() + " iterations, " + escape(method) + ".</p>\n<p>Iterations in which "
                + "every reward was the same: " + tied + " of " + iterations.size() + " (distinct rewards and the share "
                + "tied with the most common one, per iteration: rewards.csv).</p>\n"
                + svg(mean, max) + "\n" + evaluationTable(evaluation) + heldOutTable(heldOut) + "<table><tr><th>iteration</th><th>mean reward</th><th>max reward</th></tr>\n"
                + rows(mean, max) + "</table>\n</body></html>\n";
        Path report = dir.resolve("report.html");
        AtomicFiles.write(report, html.getBytes(StandardCharsets.UTF_8));
        return report;
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
            return "";
        }
        StringBuilder sb = new StringBuilder("<h2>Base vs trained (greedy accuracy)</h2>\n<table><tr><th>dataset</th>"
                + "<th>items</th><th>base</th><th>" + escape(rows.get(0).tuned().model()) + "</th><th>change</th>"
                + "<th>mean reward base</th><th>mean reward " + escape(rows.get(0).tuned().model()) + "</th></tr>\n");
        for (FinalEvaluation.Row r : rows) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%.1f%%</td><td>%.1f%%</td><td>%+.1f pts</td>"
                            + "<td>%.4f</td><td>%.4f</td></tr>%n", escape(r.label()), r.base().items(),
                    100 * r.base().accuracy(), 100 * r.tuned().accuracy(), 100 * (r.tuned().accuracy() - r.base().accuracy()),
                    r.base().meanReward(), r.tuned().meanReward()));
        }
        sb.append("</table>\n");
        int k = rows.get(0).base().samples();
        if (k > 0 && rows.get(0).tuned().samples() == k) {
            String tuned = escape(rows.get(0).tuned().model());
            sb.append("<h2>Base vs trained (").append(k).append(" sampled answers per item)</h2>\n<table><tr>"
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
            sb.append("</table>\n");
        }
        return sb.append("<h2>Reward per iteration</h2>\n").toString();
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

    private static String heldOutTable(List<RunEvent.HeldOut> heldOut) {
        if (heldOut.isEmpty()) {
            return "";
        }
        RunEvent.HeldOut last = heldOut.get(heldOut.size() - 1);
        int k = last.samples();
        List<String> groups = List.copyOf(last.drift().keySet());
        StringBuilder sb = new StringBuilder("<h2>Held-out accuracy during the run ("
                + escape(heldOut.get(0).dataset().getFileName().toString()) + ")</h2>\n<table><tr><th>iteration</th>"
                + "<th>accuracy</th><th>mean reward</th>" + (k > 0 ? "<th>pass@" + k + "</th><th>maj@" + k + "</th>" : "")
                + "<th>KL to base (nats/token)</th>");
        groups.forEach(g -> sb.append("<th>drift ").append(escape(g)).append("</th>"));
        List<String> others = List.copyOf(last.others().keySet());
        others.forEach(o -> sb.append("<th>").append(escape(o)).append(" accuracy</th><th>").append(escape(o))
                .append(" mean reward</th>"));
        sb.append("</tr>\n");
        for (var h : heldOut) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.1f%%</td><td>%.4f</td>", h.iteration(),
                    100 * h.accuracy(), h.meanReward()));
            if (k > 0) {
                sb.append(h.samples() == k ? "<td>" + percent(h.passAtK()) + "</td><td>" + percent(h.majority())
                        + "</td>" : "<td>-</td><td>-</td>");
            }
            sb.append("<td>").append(Double.isNaN(h.klToBase()) ? "-" : String.format(Locale.ROOT, "%.5f",
                    h.klToBase())).append("</td>");
            for (String g : groups) {
                Double d = h.drift().get(g);
                sb.append("<td>").append(d == null ? "-" : String.format(Locale.ROOT, "%.3f%%", 100 * d))
                        .append("</td>");
            }
            for (String o : others) {
                RunEvent.Scores a = h.others().get(o);
                sb.append(a == null ? "<td>-</td><td>-</td>" : String.format(Locale.ROOT,
                        "<td>%.1f%%</td><td>%.4f</td>", 100 * a.accuracy(), a.meanReward()));
            }
            sb.append("</tr>\n");
        }
        return sb.append("</table>\n<p>Drift: ||w - w0|| / ||w0|| over each group's tensors, from the base model. KL: "
                + "mean over tokens of KL(current || base) on held-out prompts, teacher-forced on the base model's "
                + "greedy completions.</p>\n").toString();
    }

    private static String svg(double[] mean, double[] max) {
        double top = 1e-9;
        double bottom = 0;
        for (int i = 0; i < mean.length; i++) {
            top = Math.max(top, max[i]);
            bottom = Math.min(bottom, Math.min(mean[i], max[i]));
        }
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\">");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\" stroke=\"#ccc\"/>");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%.3g</text>", 4, MARGIN, top));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%.3g</text>", 4,
                HEIGHT - MARGIN, bottom));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">iteration</text>",
                WIDTH / 2 - 20, HEIGHT - 12));
        sb.append(polyline(mean, top, bottom, "#1f77b4"));
        sb.append(polyline(max, top, bottom, "#ff7f0e"));
        sb.append("<text x=\"").append(WIDTH - 150).append("\" y=\"20\" font-size=\"12\" fill=\"#1f77b4\">mean reward</text>");
        sb.append("<text x=\"").append(WIDTH - 150).append("\" y=\"36\" font-size=\"12\" fill=\"#ff7f0e\">max reward</text>");
        return sb.append("</svg>").toString();
    }

    private static String polyline(double[] values, double top, double bottom, String color) {
        StringBuilder points = new StringBuilder();
        int n = values.length;
        for (int i = 0; i < n; i++) {
            double x = MARGIN + (n == 1 ? 0 : (double) i / (n - 1)) * (WIDTH - 2 * MARGIN);
            double y = HEIGHT - MARGIN - (values[i] - bottom) / (top - bottom) * (HEIGHT - 2 * MARGIN);
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\" points=\"" + points.toString().strip() + "\"/>";
    }

    private static String rows(double[] mean, double[] max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < mean.length; i++) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.4f</td><td>%.4f</td></tr>%n", i, mean[i], max[i]));
        }
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
