package dev.esactors.rewards.math;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A bounded parser of the arithmetic subset of LaTeX that final answers use: numbers, single-letter variables,
 * + - * / ^, {@code \frac}, {@code \sqrt}, {@code \sqrt[n]}, {@code \pi}, {@code \cdot}, {@code \times},
 * {@code \div}, trigonometric and log functions, factorials, grouping by () [] {}, and implicit multiplication.
 * The parsed expression evaluates for given variable values; equivalence is decided by evaluation.
 * Input length, nesting depth and number size are capped; anything else is "does not parse" (null).
 */
final class LatexExpression {

    /** An expression tree node. */
    interface Node {
        double eval(Map<String, Double> vars);
    }

    static final int MAX_LENGTH = 1_000;
    static final int MAX_DEPTH = 100;

    private final String s;
    private final Set<String> variables = new TreeSet<>();
    private int pos;
    private int depth;

    private LatexExpression(String s) {
        this.s = s;
    }

    /** A parsed expression and the variables it uses. */
    record Parsed(Node root, Set<String> variables) {
    }

    /** Parses a normalised answer (no spaces), or returns null. Never throws. */
    static Parsed parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) {
            return null;
        }
        LatexExpression p = new LatexExpression(text);
        try {
            Node root = p.expression();
            if (p.pos != text.length()) {
                return null;
            }
            return new Parsed(root, Set.copyOf(p.variables));
        } catch (Invalid | StackOverflowError e) {
            return null;
        }
    }

    private Node expression() {
        enter();
        try {
            Node left = term();
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '+') {
                    pos++;
                    Node l = left;
                    Node r = term();
                    left = v -> l.eval(v) + r.eval(v);
                } else if (c == '-') {
                    pos++;
                    Node l = left;
                    Node r = term();
                    left = v -> l.eval(v) - r.eval(v);
                } else {
                    break;
                }
            }
            return left;
        } finally {
            depth--;
        }
    }

    private Node term() {
        Node left = unary();
        while (pos < s.length()) {
            if (accept("*") || accept("\\cdot") || accept("\\times")) {
                Node l = left;
                Node r = unary();
                left = v -> l.eval(v) * r.eval(v);
            } else if (accept("/") || accept("\\div")) {
                Node l = left;
                Node r = unary();
                left = v -> l.eval(v) / r.eval(v);
            } else if (startsAtom()) {
                Node l = left;
                Node r = power(); // implicit multiplication: 2\sqrt{3}, 3x, (a+1)(b+2)
                left = v -> l.eval(v) * r.eval(v);
            } else {
                break;
            }
        }
        return left;
    }

    private Node unary() {
        if (accept("-")) {
            enter();
            try {
                Node inner = unary();
                return v -> -inner.eval(v);
            } finally {
                depth--;
            }
        }
        if (accept("+")) {
            return unary();
        }
        return power();
    }

    private Node power() {
        Node base = postfix(atom());
        if (accept("^")) {
            enter();
            try {
                Node exponent = accept("{") ? closing(expression(), "}") : unaryAtom();
                return v -> Math.pow(base.eval(v), exponent.eval(v));
            } finally {
                depth--;
            }
        }
        return base;
    }

    /** An exponent without braces: a sign and one atom, as in x^-1 or 2^3. */
    private Node unaryAtom() {
        if (accept("-")) {
            Node inner = postfix(atom());
            return v -> -inner.eval(v);
        }
        return postfix(atom());
    }

    private Node postfix(Node node) {
        Node result = node;
        while (accept("!")) {
            Node inner = result;
            result = v -> factorial(inner.eval(v));
        }
        return result;
    }

    private boolean startsAtom() {
        if (pos >= s.length()) {
            return false;
        }
        char c = s.charAt(pos);
        if (digit(c) || c == '.' || letter(c) || c == '(' || c == '[' || c == '{') {
            return true;
        }
        if (c == '\\') {
            for (String command : new String[] {"\\frac", "\\sqrt", "\\pi", "\\sin", "\\cos", "\\tan", "\\cot",
                "\\sec", "\\csc", "\\ln", "\\log", "\\exp", "\\arcsin", "\\arccos", "\\arctan", "\\theta", "\\alpha"}) {
                if (s.startsWith(command, pos)) {
                    return true;
                }
            }
        }
        return false;
    }

    private Node atom() {
        enter();
        try {
            if (pos >= s.length()) {
                throw new Invalid();
            }
            char c = s.charAt(pos);
            if (digit(c) || c == '.') {
                return number();
            }
            if (accept("(")) {
                return closing(expression(), ")");
            }
            if (accept("[")) {
                return closing(expression(), "]");
            }
            if (accept("{")) {
                return closing(expression(), "}");
            }
            if (accept("\\frac")) {
                Node num = group();
                Node den = group();
                return v -> num.eval(v) / den.eval(v);
            }
            if (accept("\\sqrt")) {
                if (accept("[")) {
                    Node index = closing(expression(), "]");
                    Node radicand = group();
                    return v -> root(radicand.eval(v), index.eval(v));
                }
                Node radicand = group();
                return v -> Math.sqrt(radicand.eval(v));
            }
            if (accept("\\pi")) {
                return v -> Math.PI;
            }
            for (String greek : new String[] {"\\theta", "\\alpha"}) {
                if (accept(greek)) {
                    variables.add(greek);
                    return v -> v.getOrDefault(greek, Double.NaN);
                }
            }
            Node function = function();
            if (function != null) {
                return function;
            }
            if (letter(c)) {
                pos++;
                String name = String.valueOf(c);
                variables.add(name);
                return v -> v.getOrDefault(name, Double.NaN);
            }
            throw new Invalid();
        } finally {
            depth--;
        }
    }

    private Node function() {
        String[] names = {"\\arcsin", "\\arccos", "\\arctan", "\\sin", "\\cos", "\\tan", "\\cot", "\\sec", "\\csc",
            "\\ln", "\\log", "\\exp"};
        for (String name : names) {
            if (accept(name)) {
                Node arg = power(); // \sin x, \sin(x), \sin{x}, \sin^2 is not supported
                return switch (name) {
                    case "\\arcsin" -> v -> Math.asin(arg.eval(v));
                    case "\\arccos" -> v -> Math.acos(arg.eval(v));
                    case "\\arctan" -> v -> Math.atan(arg.eval(v));
                    case "\\sin" -> v -> Math.sin(arg.eval(v));
                    case "\\cos" -> v -> Math.cos(arg.eval(v));
                    case "\\tan" -> v -> Math.tan(arg.eval(v));
                    case "\\cot" -> v -> 1 / Math.tan(arg.eval(v));
                    case "\\sec" -> v -> 1 / Math.cos(arg.eval(v));
                    case "\\csc" -> v -> 1 / Math.sin(arg.eval(v));
                    case "\\ln" -> v -> Math.log(arg.eval(v));
                    case "\\log" -> v -> Math.log10(arg.eval(v));
                    default -> v -> Math.exp(arg.eval(v));
                };
            }
        }
        return null;
    }

    /** A {@code {...}} argument, or a single digit or letter as in {@code \frac12}. */
    private Node group() {
        if (accept("{")) {
            return closing(expression(), "}");
        }
        if (pos < s.length() && (letter(s.charAt(pos)) || digit(s.charAt(pos)))) {
            char c = s.charAt(pos++);
            if (digit(c)) {
                double d = c - '0';
                return v -> d;
            }
            String name = String.valueOf(c);
            variables.add(name);
            return v -> v.getOrDefault(name, Double.NaN);
        }
        throw new Invalid();
    }

    private Node number() {
        int start = pos;
        while (pos < s.length() && digit(s.charAt(pos))) {
            pos++;
        }
        if (pos < s.length() && s.charAt(pos) == '.') {
            pos++;
            while (pos < s.length() && digit(s.charAt(pos))) {
                pos++;
            }
        }
        String text = s.substring(start, pos);
        if (text.equals(".") || text.length() > 400) {
            throw new Invalid();
        }
        double value = Double.parseDouble(text);
        return v -> value;
    }

    private Node closing(Node inner, String close) {
        if (!accept(close)) {
            throw new Invalid();
        }
        return inner;
    }

    private boolean accept(String token) {
        // Commands may run into letters (\\pir after spaces were removed from \\pi r): no known command is a
        // prefix of another that we would misread, since longer names are tried first.
        if (s.startsWith(token, pos)) {
            pos += token.length();
            return true;
        }
        return false;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw new Invalid();
        }
    }

    /** ASCII only: Character.isDigit accepts other scripts' digits, which Double.parseDouble refuses. */
    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean letter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static double root(double x, double n) {
        if (n == Math.rint(n) && ((long) n) % 2 == 1 && x < 0) {
            return -Math.pow(-x, 1 / n);
        }
        return Math.pow(x, 1 / n);
    }

    private static double factorial(double x) {
        if (x < 0 || x != Math.rint(x) || x > 170) {
            return Double.NaN;
        }
        double f = 1;
        for (int i = 2; i <= (int) x; i++) {
            f *= i;
        }
        return f;
    }

    /** Thrown inside the parser for any invalid input; never escapes {@link #parse}. */
    private static final class Invalid extends RuntimeException {
        Invalid() {
            super(null, null, false, false);
        }
    }
}
