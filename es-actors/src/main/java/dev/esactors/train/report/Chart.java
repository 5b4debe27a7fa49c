package dev.esactors.train.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one chart writer of the run and study reports: lines against a numeric x axis, each optionally with a shaded
 * band (mean +- sd over seeds), drawn as pure SVG (no script, no fetch: a report opens offline and from a file). Both
 * axes carry ticks at round values with labels and light grid lines; the legend sits under the plot, one line per
 * series, so that long arm names never cover the curves. The SVG scales down with the page (viewBox) and never
 * beyond its natural width.
 */
public final class Chart {

    /**
     * One line.
     *
     * @param label  its legend
     * @param color  its CSS colour
     * @param x      x positions, increasing
     * @param y      the value at each (NaN: a gap)
     * @param spread half the band's height at each (NaN or an empty array: no band)
     * @param faint  drawn thin and pale (a raw curve under its smoothed one)
     */
    public record Series(String label, String color, double[] x, double[] y, double[] spread, boolean faint) {
        public Series {
            if (x.length != y.length || (spread.length != 0 && spread.length != x.length)) {
                throw new IllegalArgumentException("series " + label + ": " + x.length + " x values, " + y.length
                        + " y values, " + spread.length + " spreads");
            }
        }

        /** A plain line. */
        public static Series line(String label, String color, double[] x, double[] y) {
            return new Series(label, color, x, y, new double[0], false);
        }
    }

    /** Ten distinguishable colours, in order (matplotlib's tab10). */
    public static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    private static final int WIDTH = 760;
    private static final int PLOT_HEIGHT = 260;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 16;
    /** Below the plot: tick labels, the axis title, then the legend. */
    private static final int UNDER = 52;
    private static final int LEGEND_LINE = 17;
    private static final int TICKS = 6;

    private Chart() {
    }

    /** The chart of {@code series} with its axes' titles; "" when no series has a finite point. */
    public static String svg(String title, List<Series> series, String xTitle, String yTitle) {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i]) || !Double.isFinite(s.x()[i])) {
                    continue;
                }
                double spread = spread(s, i);
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i] - spread);
                yMax = Math.max(yMax, s.y()[i] + spread);
            }
        }
        if (!(xMax >= xMin) || !(yMax >= yMin)) {
            return "";
        }
        Axis x = Axis.of(xMin, xMax);
        Axis y = Axis.of(yMin, yMax);
        int height = TOP + PLOT_HEIGHT + UNDER + LEGEND_LINE * series.size() + 6;
        int plotWidth = WIDTH - LEFT - RIGHT;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                + "viewBox=\"0 0 %d %d\" style=\"width:100%%;max-width:%dpx\" role=\"img\" aria-label=\"%s\">"
                + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>", WIDTH, height, WIDTH, Html.escape(title)));
        // grid and tick labels
        for (double t : y.ticks()) {
            double py = TOP + PLOT_HEIGHT - y.fraction(t) * PLOT_HEIGHT;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                    + "stroke=\"#e5e5e5\"/>", LEFT, LEFT + plotWidth, py, py));
            sb.append(text(LEFT - 6, py + 4, "end", y.label(t), "#333"));
        }
        for (double t : x.ticks()) {
            double px = LEFT + x.fraction(t) * plotWidth;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                    + "stroke=\"#e5e5e5\"/>", px, px, TOP, TOP + PLOT_HEIGHT));
            sb.append(text(px, TOP + PLOT_HEIGHT + 16, "middle", x.label(t), "#333"));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#999\"/>", LEFT, TOP, plotWidth, PLOT_HEIGHT));
        sb.append(text(LEFT + plotWidth / 2.0, TOP + PLOT_HEIGHT + 36, "middle", xTitle, "#111"));
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%.1f) rotate(-90)\" "
                + "text-anchor=\"middle\" font-size=\"13\" fill=\"#111\">%s</text>", TOP + PLOT_HEIGHT / 2.0, Html.escape(yTitle)));
        Frame f = new Frame(x, y, plotWidth);
        for (Series s : series) {
            sb.append(band(s, f));
        }
        for (Series s : series) {
            sb.append(line(s, f));
        }
        int legend = TOP + PLOT_HEIGHT + UNDER;
        for (Series s : series) {
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"%s\"%s/>", LEFT, LEFT + 24, legend + 8, legend + 8, s.color(),
                    s.faint() ? "1" : "2.5", s.faint() ? " stroke-opacity=\"0.45\"" : ""));
            sb.append(text(LEFT + 30, legend + 12, "start", s.label(), "#111"));
            legend += LEGEND_LINE;
        }
        return sb.append("</svg>").toString();
    }

    /** The trailing mean of {@code values} over {@code window} points (fewer at the start), NaN skipped. */
    public static double[] movingAverage(double[] values, int window) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            double sum = 0;
            int n = 0;
            for (int j = Math.max(0, i - window + 1); j <= i; j++) {
                if (Double.isFinite(values[j])) {
                    sum += values[j];
                    n++;
                }
            }
            out[i] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }

    private static double spread(Series s, int i) {
        return s.spread().length == 0 || !Double.isFinite(s.spread()[i]) ? 0 : s.spread()[i];
    }

    /**
     * An axis from {@code lo} to {@code hi} widened to round tick values (1, 2 or 5 times a power of ten), about
     * {@value #TICKS} of them. Constant data gets a range around it (0 to 1 for zeros) rather than a degenerate one.
     */
    record Axis(double lo, double hi, double step) {

        static Axis of(double lo, double hi) {
            if (hi - lo <= 1e-12 * Math.max(1, Math.abs(hi))) {
                double pad = hi == 0 ? 1 : Math.abs(hi) * 0.1;
                lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
                hi = hi + pad;
            }
            double raw = (hi - lo) / (TICKS - 1);
            double power = Math.pow(10, Math.floor(Math.log10(raw)));
            double step = raw / power <= 1 ? power : raw / power <= 2 ? 2 * power : raw / power <= 5 ? 5 * power
                    : 10 * power;
            return new Axis(Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step, step);
        }

        List<Double> ticks() {
            List<Double> out = new ArrayList<>();
            for (long i = 0; lo + i * step <= hi + step * 1e-6; i++) {
                out.add(lo + i * step);
            }
            return out;
        }

        double fraction(double v) {
            return hi == lo ? 0 : (v - lo) / (hi - lo);
        }

        /** A tick's label: as few digits as the step needs; thousands as k, millions as M. */
        String label(double v) {
            double a = Math.abs(v);
            if (Math.abs(v) < step * 1e-6) {
                return "0";
            }
            if (a >= 1e6 && step >= 1e5) {
                return trim(v / 1e6, step / 1e6) + "M";
            }
            if (a >= 1e3 && step >= 100) {
                return trim(v / 1e3, step / 1e3) + "k";
            }
            return trim(v, step);
        }

        private static String trim(double v, double step) {
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
            return String.format(Locale.ROOT, "%." + Math.min(decimals, 12) + "f", v);
        }
    }

    /** Pixel positions of data points. */
    private record Frame(Axis x, Axis y, int plotWidth) {
        String point(double vx, double vy) {
            return String.format(Locale.ROOT, "%.1f,%.1f", LEFT + x.fraction(vx) * plotWidth,
                    TOP + PLOT_HEIGHT - y.fraction(vy) * PLOT_HEIGHT);
        }
    }

    private static String band(Series s, Frame f) {
        List<String> upper = new ArrayList<>();
        List<String> lower = new ArrayList<>();
        for (int i = 0; i < s.x().length; i++) {
            if (s.spread().length > 0 && Double.isFinite(s.y()[i]) && Double.isFinite(s.spread()[i])) {
                upper.add(f.point(s.x()[i], s.y()[i] + s.spread()[i]));
                lower.add(0, f.point(s.x()[i], s.y()[i] - s.spread()[i]));
            }
        }
        if (upper.isEmpty()) {
            return "";
        }
        upper.addAll(lower);
        return "<polygon fill=\"" + s.color() + "\" fill-opacity=\"0.18\" stroke=\"none\" points=\""
                + String.join(" ", upper) + "\"/>";
    }

    /** The series as one polyline per run of finite points; a single point as a dot. */
    private static String line(Series s, Frame f) {
        StringBuilder out = new StringBuilder();
        List<String> points = new ArrayList<>();
        for (int i = 0; i <= s.x().length; i++) {
            if (i < s.x().length && Double.isFinite(s.y()[i])) {
                points.add(f.point(s.x()[i], s.y()[i]));
                continue;
            }
            if (points.size() == 1) {
                String[] xy = points.get(0).split(",");
                out.append("<circle cx=\"").append(xy[0]).append("\" cy=\"").append(xy[1]).append("\" r=\"3\" fill=\"")
                        .append(s.color()).append("\"/>");
            } else if (points.size() > 1) {
                out.append("<polyline fill=\"none\" stroke=\"").append(s.color()).append(s.faint()
                        ? "\" stroke-width=\"1\" stroke-opacity=\"0.45\"" : "\" stroke-width=\"2.5\"")
                        .append(" points=\"").append(String.join(" ", points)).append("\"/>");
            }
            points.clear();
        }
        return out.toString();
    }

    private static String text(double x, double y, String anchor, String text, String color) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"12\" "
                + "fill=\"%s\">%s</text>", x, y, anchor, color, Html.escape(text));
    }
}
