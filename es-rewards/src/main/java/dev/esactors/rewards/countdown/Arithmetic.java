package dev.esactors.rewards.countdown;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * A bounded evaluator of arithmetic over non-negative integers with + - * / and parentheses (unary signs allowed).
 * No script engine and no eval: a recursive-descent parser whose input length, nesting depth and number size are
 * capped, so hostile input cannot hang it or overflow its stack. Invalid input gives an empty result.
 */
public final class Arithmetic {

    public static final int MAX_LENGTH = 1_000;
    public static final int MAX_DEPTH = 64;
    public static final int MAX_DIGITS = 15;

    private final String text;
    private int pos;
    private int depth;

    private Arithmetic(String text) {
        this.text = text;
    }

    /** The value of {@code expression}, or empty when it is not a valid, bounded, finite expression. */
    public static OptionalDouble evaluate(String expression) {
        if (expression == null || expression.length() > MAX_LENGTH) {
            return OptionalDouble.empty();
        }
        Arithmetic parser = new Arithmetic(expression);
        try {
            double value = parser.expression();
            parser.skipSpaces();
            if (parser.pos != expression.length() || !Double.isFinite(value)) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of(value);
        } catch (Invalid e) {
            return OptionalDouble.empty();
        }
    }

    /** The integer literals of {@code expression} in order of appearance (for the "use each number once" rule). */
    public static List<Long> numbers(String expression) {
        List<Long> out = new ArrayList<>();
        int i = 0;
        while (i < expression.length()) {
            if (Character.isDigit(expression.charAt(i)) && expression.charAt(i) < 128) {
                int start = i;
                while (i < expression.length() && expression.charAt(i) >= '0' && expression.charAt(i) <= '9') {
                    i++;
                }
                if (i - start > MAX_DIGITS) {
                    out.add(-1L); // too large to be one of the given numbers
                } else {
                    out.add(Long.parseLong(expression.substring(start, i)));
                }
            } else {
                i++;
            }
        }
        return out;
    }

    private double expression() {
        double value = term();
        while (true) {
            skipSpaces();
            if (accept('+')) {
                value += term();
            } else if (accept('-')) {
                value -= term();
            } else {
                return value;
            }
        }
    }

    private double term() {
        double value = factor();
        while (true) {
            skipSpaces();
            if (accept('*')) {
                value *= factor();
            } else if (accept('/')) {
                double divisor = factor();
                if (divisor == 0) {
                    throw new Invalid(); // division by zero is not an answer
                }
                value /= divisor;
            } else {
                return value;
            }
        }
    }

    private double factor() {
        if (++depth > MAX_DEPTH) {
            throw new Invalid();
        }
        try {
            skipSpaces();
            if (accept('-')) {
                return -factor();
            }
            if (accept('+')) {
                return factor();
            }
            if (accept('(')) {
                double value = expression();
                skipSpaces();
                if (!accept(')')) {
                    throw new Invalid();
                }
                return value;
            }
            return number();
        } finally {
            depth--;
        }
    }

    private double number() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start || pos - start > MAX_DIGITS) {
            throw new Invalid();
        }
        return Long.parseLong(text.substring(start, pos));
    }

    private boolean accept(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void skipSpaces() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    /** Thrown inside the parser for any invalid input; never escapes {@link #evaluate}. */
    private static final class Invalid extends RuntimeException {
        Invalid() {
            super(null, null, false, false);
        }
    }
}
