package dev.esactors.rewards.math;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether two final answers mean the same: equal after normalisation; or tuples, intervals, lists,
 * unions, matrices and {@code \pm} compared element by element; or numbers equal within 1e-6 relative; or
 * expressions in the same variables equal at random points (a numeric identity test, which is how a CAS
 * would be used here). Never throws.
 */
public final class MathEquivalence {

    static final double TOLERANCE = 1e-6;
    private static final int MAX_ELEMENTS = 64;
    private static final Pattern CHOICE = Pattern.compile("^\\(?([A-Ea-e])\\)?$");
    private static final Pattern MATRIX = Pattern.compile("\\\\begin\\{[pbvBV]?matrix\\}(.*?)\\\\end\\{[pbvBV]?matrix\\}");

    private MathEquivalence() {
    }

    /** Whether {@code predicted} is an acceptable final answer for {@code reference}. */
    public static boolean equivalent(String predicted, String reference) {
        if (predicted == null || reference == null) {
            return false;
        }
        try {
            LatexNormalizer.Normalized a = LatexNormalizer.normalize(predicted);
            LatexNormalizer.Normalized b = LatexNormalizer.normalize(reference);
            if (a.text().equals(b.text())) {
                return true;
            }
            boolean percent = a.percent() || b.percent();
            return compare(expandPlusMinus(matrices(a.text())), expandPlusMinus(matrices(b.text())), percent, 0);
        } catch (RuntimeException | StackOverflowError e) {
            return false;
        }
    }

    private static boolean compare(String x, String y, boolean percent, int depth) {
        if (x.equals(y)) {
            return true;
        }
        if (depth > 8 || x.isEmpty() || y.isEmpty()) {
            return false;
        }
        List<String> ux = splitTopLevel(x, "\\cup");
        List<String> uy = splitTopLevel(y, "\\cup");
        if (ux.size() > 1 || uy.size() > 1) {
            return ux.size() == uy.size() && pairwise(ux, uy, percent, depth);
        }
        Sequence sx = Sequence.of(x);
        Sequence sy = Sequence.of(y);
        if (sx.items.size() > 1 || sy.items.size() > 1) {
            if (sx.items.size() != sy.items.size() || sx.items.size() > MAX_ELEMENTS) {
                return false;
            }
            if (sx.enclosed() && sy.enclosed()) {
                if (sx.open != sy.open || sx.close != sy.close) {
                    return false; // (3,4] is not (3,4)
                }
                return sx.open == '{' ? unordered(sx.items, sy.items, percent, depth)
                        : pairwise(sx.items, sy.items, percent, depth);
            }
            if (!sx.enclosed() && !sy.enclosed()) {
                return unordered(sx.items, sy.items, percent, depth);
            }
            return pairwise(sx.items, sy.items, percent, depth);
        }
        return scalar(x, y, percent);
    }

    private static boolean pairwise(List<String> xs, List<String> ys, boolean percent, int depth) {
        for (int i = 0; i < xs.size(); i++) {
            if (!compare(xs.get(i), ys.get(i), percent, depth + 1)) {
                return false;
            }
        }
        return true;
    }

    private static boolean unordered(List<String> xs, List<String> ys, boolean percent, int depth) {
        boolean[] used = new boolean[ys.size()];
        for (String x : xs) {
            boolean found = false;
            for (int j = 0; j < ys.size() && !found; j++) {
                if (!used[j] && compare(x, ys.get(j), percent, depth + 1)) {
                    used[j] = true;
                    found = true;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private static boolean scalar(String x, String y, boolean percent) {
        Matcher cx = CHOICE.matcher(x);
        Matcher cy = CHOICE.matcher(y);
        if (cx.matches() && cy.matches()) {
            return cx.group(1).equalsIgnoreCase(cy.group(1));
        }
        LatexExpression.Parsed px = LatexExpression.parse(x);
        LatexExpression.Parsed py = LatexExpression.parse(y);
        if (px == null || py == null || !px.variables().equals(py.variables())) {
            return false;
        }
        if (px.variables().isEmpty()) {
            double a = px.root().eval(Map.of());
            double b = py.root().eval(Map.of());
            return close(a, b) || (percent && (close(a / 100, b) || close(a, b / 100)));
        }
        return sameFunction(px, py);
    }

    /** Equal at several random points of [1.1, 2.9]^k (points where either side is undefined are skipped). */
    private static boolean sameFunction(LatexExpression.Parsed px, LatexExpression.Parsed py) {
        SplittableRandom random = new SplittableRandom(20261129);
        Set<String> variables = px.variables();
        int agreed = 0;
        for (int trial = 0; trial < 12 && agreed < 5; trial++) {
            Map<String, Double> point = new HashMap<>();
            for (String v : variables) {
                point.put(v, 1.1 + 1.8 * random.nextDouble());
            }
            double a = px.root().eval(point);
            double b = py.root().eval(point);
            if (!Double.isFinite(a) || !Double.isFinite(b)) {
                continue;
            }
            if (!close(a, b)) {
                return false;
            }
            agreed++;
        }
        return agreed >= 3;
    }

    static boolean close(double a, double b) {
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            return false;
        }
        double scale = Math.max(Math.abs(a), Math.abs(b));
        return Math.abs(a - b) <= TOLERANCE * Math.max(scale, 1e-3);
    }

    /** {@code a\pm b} becomes the list {@code a+b,a-b} (one \pm, outside brackets). */
    private static String expandPlusMinus(String s) {
        int at = s.indexOf("\\pm");
        if (at < 0 || s.indexOf("\\pm", at + 3) >= 0 || s.contains(",")) {
            return s;
        }
        String left = s.substring(0, at);
        String right = s.substring(at + 3);
        return left + "+" + right + "," + left + "-" + right;
    }

    /** Matrices and vectors become nested tuples: rows by {@code \\}, cells by {@code &}. */
    private static String matrices(String s) {
        Matcher m = MATRIX.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String[] rows = m.group(1).split("\\\\cr"); // the normaliser's spelling of a row break
            List<String> rowTexts = new ArrayList<>();
            for (String row : rows) {
                if (row.isBlank()) {
                    continue;
                }
                String[] cells = row.split("&");
                rowTexts.add(cells.length == 1 ? cells[0] : "(" + String.join(",", cells) + ")");
            }
            m.appendReplacement(out, Matcher.quoteReplacement("(" + String.join(",", rowTexts) + ")"));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Splits at top-level occurrences of {@code separator} (outside (), [], {}). */
    static List<String> splitTopLevel(String s, String separator) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && s.startsWith(separator, i)) {
                parts.add(s.substring(start, i));
                start = i + separator.length();
                i += separator.length() - 1;
                if (parts.size() > MAX_ELEMENTS) {
                    break;
                }
            }
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** A comma-separated sequence, possibly enclosed in brackets: a tuple, interval, list or set. */
    private record Sequence(char open, char close, List<String> items) {

        boolean enclosed() {
            return open != 0;
        }

        static Sequence of(String s) {
            String inner = s;
            char open = 0;
            char close = 0;
            if (s.length() >= 2) {
                char first = s.charAt(0);
                char last = s.charAt(s.length() - 1);
                boolean brackets = (first == '(' || first == '[') && (last == ')' || last == ']');
                boolean set = s.startsWith("\\{") && s.endsWith("\\}");
                if (set) {
                    inner = s.substring(2, s.length() - 2);
                    open = '{';
                    close = '}';
                } else if (brackets && enclosesAll(s)) {
                    inner = s.substring(1, s.length() - 1);
                    open = first;
                    close = last;
                }
            }
            List<String> items = splitTopLevel(inner, ",");
            if (items.size() == 1) {
                return new Sequence((char) 0, (char) 0, List.of(s)); // a parenthesised scalar is a scalar
            }
            return new Sequence(open, close, items);
        }

        /** Whether the first bracket closes only at the end (so "(a)(b)" is not one enclosed sequence). */
        private static boolean enclosesAll(String s) {
            int depth = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                    if (depth == 0 && i < s.length() - 1) {
                        return false;
                    }
                }
            }
            return depth == 0;
        }
    }
}
