package dev.esactors.rewards.math;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings a final answer to a canonical text: the spellings that mean the same (\dfrac and \frac, 0.5 and .5,
 * 10,\!080 and 10080, 90^\circ and 90, 5\text{ cm} and 5, x=5 and 5, \left( and () become one.
 * Percent signs are removed and remembered, because 50\% may be meant as 50 or as 0.5.
 */
final class LatexNormalizer {

    /** A normalised answer and whether it carried a percent sign. */
    record Normalized(String text, boolean percent) {
    }

    private static final Pattern TEXT_COMMAND = Pattern.compile(
            "\\\\(?:text|textbf|textit|textrm|mbox|mathrm|mathbf|mathit|textnormal|operatorname|boldsymbol|mathbb)\\s*\\{([^{}]*)\\}");
    private static final Pattern THOUSANDS = Pattern.compile("^-?\\d{1,3}(,\\d{3})+(\\.\\d+)?$");
    private static final Pattern ASSIGNMENT = Pattern.compile("^\\\\?[a-zA-Z]+(_\\{?\\w+\\}?)?(\\([a-z]\\))?=([^=]+)$");
    private static final Pattern SHORT_FRAC = Pattern.compile("\\\\frac(\\d)(\\d)");
    private static final Pattern HALF_FRAC_NUM = Pattern.compile("\\\\frac(\\d)\\{");
    private static final Pattern HALF_FRAC_DEN = Pattern.compile("\\\\frac\\{([^{}]*)\\}(\\d)");
    private static final Pattern SHORT_SQRT = Pattern.compile("\\\\sqrt(\\d+|[a-zA-Z])");
    private static final Pattern LEADING_DOT = Pattern.compile("(^|[^\\d])\\.(\\d)");
    private static final List<String> UNITS = List.of("degrees", "degree", "cm", "centimeters", "meters", "meter", "m",
            "km", "inches", "inch", "feet", "foot", "ft", "units", "unit", "cents", "cent", "dollars", "dollar", "mph",
            "hours", "hour", "minutes", "minute", "seconds", "second", "sq", "square", "cubic", "days", "day", "years",
            "year", "pounds", "miles", "mile", "gallons", "liters", "grams", "kg", "students", "people", "ways", "points");

    private LatexNormalizer() {
    }

    static Normalized normalize(String answer) {
        String s = answer.strip();
        s = s.replace("\n", "").replace("\r", "");
        s = s.replace("\\\\", "\\cr"); // row breaks first, before "\\ " (a spaced backslash) is read as a space
        s = s.replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\:", "").replace("\\ ", " ")
                .replace("~", " ").replace("\\quad", " ").replace("\\qquad", " ");
        s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac");
        s = s.replace("\\left", "").replace("\\right", "").replace("\\bigl", "").replace("\\bigr", "")
                .replace("\\Bigl", "").replace("\\Bigr", "").replace("\\big", "").replace("\\Big", "");
        s = s.replace("^{\\circ}", "").replace("^\\circ", "").replace("°", "").replace("\\degree", "")
                .replace("{}^\\circ", "");
        s = s.replace("\\$", "").replace("$", "");
        boolean percent = s.contains("%");
        s = s.replace("\\%", "").replace("%", "");
        s = s.replace("\\displaystyle", "").replace("\\dots", "").replace("\\ldots", "")
                .replace("\\cdots", "");
        s = stripText(s);
        s = stripUnits(s);
        s = s.replace(" ", "");
        s = s.replace("\\(", "(").replace("\\)", ")").replace("\\[", "[").replace("\\]", "]");
        while (s.endsWith(".") || s.endsWith(",")) {
            s = s.substring(0, s.length() - 1);
        }
        s = SHORT_FRAC.matcher(s).replaceAll("\\\\frac{$1}{$2}");
        s = HALF_FRAC_NUM.matcher(s).replaceAll("\\\\frac{$1}{");
        s = HALF_FRAC_DEN.matcher(s).replaceAll("\\\\frac{$1}{$2}");
        s = SHORT_SQRT.matcher(s).replaceAll("\\\\sqrt{$1}");
        Matcher assignment = ASSIGNMENT.matcher(s);
        if (assignment.matches() && !s.contains(",")) {
            s = assignment.group(3);
        } else if (s.matches("^[a-zA-Z]\\\\in.+")) {
            s = s.substring(s.indexOf("\\in") + 3);
        }
        if (THOUSANDS.matcher(s).matches()) {
            s = s.replace(",", "");
        }
        s = LEADING_DOT.matcher(s).replaceAll("$10.$2");
        if (s.startsWith("{") && s.endsWith("}") && balanced(s.substring(1, s.length() - 1))) {
            s = s.substring(1, s.length() - 1);
        }
        return new Normalized(s, percent);
    }

    /** \text{X} and friends: a lone one keeps its content; one after other text is a unit and goes. */
    private static String stripText(String s) {
        String out = s;
        for (int guard = 0; guard < 50; guard++) {
            Matcher m = TEXT_COMMAND.matcher(out);
            if (!m.find()) {
                break;
            }
            String before = out.substring(0, m.start()).strip();
            String content = m.group(1);
            boolean unit = !before.isEmpty() && content.strip().matches("[a-zA-Z ^0-9]*") && !content.isBlank()
                    && Character.isLetter(content.strip().charAt(0));
            String after = out.substring(m.end());
            if (unit) {
                after = after.replaceFirst("^\\s*\\^\\s*\\{?\\d\\}?", ""); // inches^2: the power belongs to the unit
            }
            out = out.substring(0, m.start()) + (unit ? "" : content) + after;
        }
        return out;
    }

    /** Unit words after a number ("5.4 cents", "30 degrees") go; a lone word stays. */
    private static String stripUnits(String s) {
        String out = s.strip();
        for (String unit : UNITS) {
            for (String form : new String[] {" " + unit + "^2", " " + unit + "^3", " " + unit}) {
                if (out.endsWith(form) && out.length() > form.length()
                        && (Character.isDigit(out.charAt(out.length() - form.length() - 1))
                        || out.charAt(out.length() - form.length() - 1) == '}')) {
                    out = out.substring(0, out.length() - form.length()).strip();
                }
            }
        }
        return out;
    }

    static boolean balanced(String s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (--depth < 0) {
                    return false;
                }
            }
        }
        return depth == 0;
    }
}
