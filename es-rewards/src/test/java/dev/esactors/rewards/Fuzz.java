package dev.esactors.rewards;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Hostile inputs for parsers: random text over a task's alphabet, deep nesting, huge numbers, megabytes. */
public final class Fuzz {

    private Fuzz() {
    }

    /** {@code count} random strings over {@code alphabet} plus the fixed adversarial cases. */
    public static List<String> strings(long seed, int count, String alphabet) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(adversarial());
        for (int i = 0; i < count; i++) {
            int length = random.nextInt(random.nextInt(10) == 0 ? 2000 : 60);
            StringBuilder sb = new StringBuilder(length);
            for (int k = 0; k < length; k++) {
                sb.append(random.nextInt(20) == 0 ? (char) random.nextInt(0x2FFF) : alphabet.charAt(random.nextInt(alphabet.length())));
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** Deep nesting, huge numbers, division by zero, unbalanced brackets, a megabyte of text. */
    public static List<String> adversarial() {
        List<String> out = new ArrayList<>();
        out.add("");
        out.add("(".repeat(100_000));
        out.add("(".repeat(5_000) + "1" + ")".repeat(5_000));
        out.add("{".repeat(50_000) + "}".repeat(3));
        out.add("\\boxed{" + "{".repeat(20_000));
        out.add("\\frac{".repeat(10_000));
        out.add("9".repeat(100_000));
        out.add("1/0");
        out.add("(5-5)/(3-3)");
        out.add("1e999999");
        out.add("-".repeat(10_000) + "1");
        out.add("<answer>" + "1+".repeat(300_000) + "1</answer>");
        out.add("<think>".repeat(100_000));
        out.add("a".repeat(1_000_000));
        out.add("\\sqrt{".repeat(5_000) + "2");
        out.add("2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2^2");
        out.add("\\boxed{" + "[[1,2],[3,4]]".repeat(50_000) + "}");
        out.add("\u0000\uFFFF\uD800");
        return out;
    }
}
