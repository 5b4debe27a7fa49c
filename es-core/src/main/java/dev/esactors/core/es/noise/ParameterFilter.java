package dev.esactors.core.es.noise;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which parameters ES perturbs and updates: all of them, only 2-D matrices, or those whose Hugging Face name
 * matches a regular expression. Unselected parameters keep their index, so noise never shifts between tensors.
 *
 * @param kind    all, matrices or pattern
 * @param pattern the regular expression for {@link Kind#PATTERN} (searched anywhere in the name), else empty
 */
public record ParameterFilter(Kind kind, String pattern) {

    /** The kinds of selection. */
    public enum Kind { ALL, MATRICES, PATTERN }

    public static final ParameterFilter ALL = new ParameterFilter(Kind.ALL, "");
    public static final ParameterFilter MATRICES = new ParameterFilter(Kind.MATRICES, "");

    public ParameterFilter {
        if (kind == Kind.PATTERN) {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("parameter pattern '" + pattern + "' is not a valid regular "
                        + "expression: " + e.getDescription());
            }
        } else if (!pattern.isEmpty()) {
            throw new IllegalArgumentException("a pattern is only meaningful for kind PATTERN, got " + kind);
        }
    }

    /** Parameters whose name contains a match of {@code regex}, e.g. {@code "mlp\\."}. */
    public static ParameterFilter matching(String regex) {
        return new ParameterFilter(Kind.PATTERN, regex);
    }

    public boolean selects(String name, long[] shape) {
        return switch (kind) {
            case ALL -> true;
            case MATRICES -> shape.length == 2;
            case PATTERN -> Pattern.compile(pattern).matcher(name).find();
        };
    }
}
