package dev.esactors.train.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An SVG line chart of series with a band: each series' mean over seeds and a shaded mean +- one standard deviation,
 * against a shared x axis (completions sampled, so that methods with different iteration sizes line up).
 */
final class BandChart {

    /**
     * One line.
     *
     * @param label its legend
     * @param color its CSS colour
     * @param x     x positions, increasing
     * @param mean  the mean at each
     * @param sd    the standard deviation at each (NaN: no band)
     */
    record Series(String label, String color, double[] x, double[] mean, double[] sd) {
    }

    private static final int WIDTH = 720;
    private static final int HEIGHT = 300;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 40;

    private BandChart() {
    }

    /** The chart of {@code series} titled by its axes' labels; an empty string when there is nothing to draw. */
    static String svg(List<Series> series, String xLabel, String yLabel) {
        double xMax = 0;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                xMax = Math.max(xMax, s.x()[i]);
                double sd = Double.isNaN(s.sd()[i]) ? 0 : s.sd()[i];
                if (Double.isFinite(s.mean()[i])) {
                    yMin = Math.min(yMin, s.mean()[i] - sd);
                    yMax = Math.max(yMax, s.mean()[i] + sd);
                }
            }
        }
        if (xMax <= 0 || !(yMax >= yMin)) {
            return "";
        }
        if (yMax - yMin < 1e-9) {
            yMax = yMin + 1e-9;
        }
        Frame f = new Frame(xMax, yMin, yMax);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                + "width=\"%d\" height=\"%d\"><rect width=\"100%%\" height=\"100%%\" fill=\"white\" stroke=\"#ccc\"/>",
                WIDTH, HEIGHT));
        sb.append(text(4, TOP + 10, String.format(Locale.ROOT, "%.3g", yMax), "#333"));
        sb.append(text(4, HEIGHT - BOTTOM, String.format(Locale.ROOT, "%.3g", yMin), "#333"));
        sb.append(text(4, HEIGHT / 2, yLabel, "#333"));
        sb.append(text(LEFT, HEIGHT - 12, "0", "#333"));
        sb.append(text(WIDTH - RIGHT - 60, HEIGHT - 12, String.format(Locale.ROOT, "%,.0f", xMax), "#333"));
        sb.append(text(WIDTH / 2 - 40, HEIGHT - 12, xLabel, "#333"));
        int legend = 0;
        for (Series s : series) {
            sb.append(band(s, f)).append(line(s, f));
            sb.append(text(WIDTH - RIGHT - 240, TOP + 12 + 16 * legend++, s.label(), s.color()));
        }
        return sb.append("</svg>").toString();
    }

    /** Pixel coordinates of data points. */
    private record Frame(double xMax, double yMin, double yMax) {
        double x(double v) {
            return LEFT + v / xMax * (WIDTH - LEFT - RIGHT);
        }

        double y(double v) {
            return HEIGHT - BOTTOM - (v - yMin) / (yMax - yMin) * (HEIGHT - TOP - BOTTOM);
        }
    }

    private static String band(Series s, Frame f) {
        List<String> upper = new ArrayList<>();
        List<String> lower = new ArrayList<>();
        for (int i = 0; i < s.x().length; i++) {
            if (Double.isFinite(s.mean()[i]) && Double.isFinite(s.sd()[i])) {
                upper.add(point(f.x(s.x()[i]), f.y(s.mean()[i] + s.sd()[i])));
                lower.add(0, point(f.x(s.x()[i]), f.y(s.mean()[i] - s.sd()[i])));
            }
        }
        if (upper.isEmpty()) {
            return "";
        }
        upper.addAll(lower);
        return "<polygon fill=\"" + s.color() + "\" fill-opacity=\"0.2\" stroke=\"none\" points=\""
                + String.join(" ", upper) + "\"/>";
    }

    private static String line(Series s, Frame f) {
        List<String> points = new ArrayList<>();
        for (int i = 0; i < s.x().length; i++) {
            if (Double.isFinite(s.mean()[i])) {
                points.add(point(f.x(s.x()[i]), f.y(s.mean()[i])));
            }
        }
        return "<polyline fill=\"none\" stroke=\"" + s.color() + "\" stroke-width=\"2\" points=\""
                + String.join(" ", points) + "\"/>";
    }

    private static String point(double x, double y) {
        return String.format(Locale.ROOT, "%.1f,%.1f", x, y);
    }

    private static String text(int x, int y, String text, String color) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>", x, y,
                color, text.replace("&", "&amp;").replace("<", "&lt;"));
    }
}
