package dev.esactors.train;

import dev.esactors.train.report.Chart;
import dev.esactors.train.report.Html;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The run report's held-out sections, from the rounds of eval.every: accuracy (with pass@k when sampled, and each
 * prior-task dataset's) against iterations with every round's figures in a table under it, then the forgetting
 * monitors a user watches as curves: the KL to the base model and the weight drift per tensor group.
 */
final class HeldOutReport {

    private HeldOutReport() {
    }

    /** The sections; none for a run without held-out rounds. */
    static String html(List<RunEvent.HeldOut> heldOut) {
        if (heldOut.isEmpty()) {
            return "";
        }
        double[] x = heldOut.stream().mapToDouble(RunEvent.HeldOut::iteration).toArray();
        RunEvent.HeldOut last = heldOut.get(heldOut.size() - 1);
        List<Chart.Series> accuracy = new ArrayList<>();
        accuracy.add(Chart.Series.line("greedy accuracy, " + last.dataset().getFileName(), Chart.PALETTE[0], x,
                values(heldOut, h -> h.accuracy())));
        int k = last.samples();
        if (k > 0) {
            accuracy.add(Chart.Series.line("pass@" + k, Chart.PALETTE[1], x,
                    values(heldOut, h -> h.samples() == k ? h.passAtK() : Double.NaN)));
        }
        int color = 2;
        for (String other : last.others().keySet()) {
            accuracy.add(Chart.Series.line(other, Chart.PALETTE[color++ % Chart.PALETTE.length], x,
                    values(heldOut, h -> h.others().containsKey(other) ? h.others().get(other).accuracy()
                            : Double.NaN)));
        }
        StringBuilder sb = new StringBuilder(Html.section("Held-out accuracy"));
        sb.append(Chart.svg("held-out accuracy", accuracy, "iteration", "accuracy")).append('\n');
        sb.append(table(heldOut));
        double[] kl = values(heldOut, RunEvent.HeldOut::klToBase);
        if (java.util.Arrays.stream(kl).anyMatch(Double::isFinite)) {
            sb.append(Html.section("KL to the base model")).append(Html.note("Mean over tokens of KL(current || "
                    + "base) on held-out prompts, teacher-forced on the base model's greedy completions."));
            sb.append(Chart.svg("KL to the base model", List.of(Chart.Series.line("KL", Chart.PALETTE[4], x, kl)),
                    "iteration", "nats per token")).append('\n');
        }
        if (!last.drift().isEmpty()) {
            List<Chart.Series> drift = new ArrayList<>();
            color = 0;
            for (String group : last.drift().keySet()) {
                drift.add(Chart.Series.line(group, Chart.PALETTE[color++ % Chart.PALETTE.length], x,
                        values(heldOut, h -> h.drift().getOrDefault(group, Double.NaN))));
            }
            sb.append(Html.section("Weight drift")).append(Html.note("||w - w0|| / ||w0|| over each group's "
                    + "tensors, from the base model."));
            sb.append(Chart.svg("weight drift", drift, "iteration", "relative drift")).append('\n');
        }
        return sb.toString();
    }

    private static double[] values(List<RunEvent.HeldOut> heldOut,
                                   java.util.function.ToDoubleFunction<RunEvent.HeldOut> f) {
        return heldOut.stream().mapToDouble(f).toArray();
    }

    private static String table(List<RunEvent.HeldOut> heldOut) {
        if (heldOut.isEmpty()) {
            return "";
        }
        RunEvent.HeldOut last = heldOut.get(heldOut.size() - 1);
        int k = last.samples();
        List<String> groups = List.copyOf(last.drift().keySet());
        StringBuilder sb = new StringBuilder("<p>Every round, on "
                + escape(heldOut.get(0).dataset().getFileName().toString()) + ":</p>\n<div class=\"scroll\"><table>"
                + "<tr><th>iteration</th><th>accuracy</th><th>mean reward</th>"
                + (k > 0 ? "<th>pass@" + k + "</th><th>maj@" + k + "</th>" : "")
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
                sb.append(h.samples() == k ? "<td>" + RunReport.percent(h.passAtK()) + "</td><td>"
                        + RunReport.percent(h.majority()) + "</td>" : "<td>-</td><td>-</td>");
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
        return sb.append("</table></div>\n<p class=\"note\">Drift: ||w - w0|| / ||w0|| over each group's tensors, "
                + "from the base model. KL: mean over tokens of KL(current || base) on held-out prompts, teacher-forced on the base model's "
                + "greedy completions.</p>\n").toString();
    }

    private static String escape(String s) {
        return Html.escape(s);
    }
}
