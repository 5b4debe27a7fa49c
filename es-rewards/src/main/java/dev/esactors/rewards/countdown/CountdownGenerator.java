package dev.esactors.rewards.countdown;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of solvable Countdown problems: draws 3 or 4 numbers, combines them in a random order with
 * random operations (keeping every intermediate value a positive integer), and takes the result as the target.
 */
public final class CountdownGenerator {

    private final SplittableRandom random;
    private final int maxNumber;
    private final int maxTarget;

    /** Numbers in [1, maxNumber], targets in [1, maxTarget]. */
    public CountdownGenerator(long seed, int maxNumber, int maxTarget) {
        if (maxNumber < 2 || maxTarget < 1) {
            throw new IllegalArgumentException("need maxNumber >= 2 and maxTarget >= 1");
        }
        this.random = new SplittableRandom(seed);
        this.maxNumber = maxNumber;
        this.maxTarget = maxTarget;
    }

    /** The paper's range: numbers 1..100, targets 1..1000. */
    public CountdownGenerator(long seed) {
        this(seed, 100, 1000);
    }

    /** The next problem with {@code count} (3 or 4) numbers; its solution is a fully parenthesised expression. */
    public CountdownItem next(int count) {
        if (count < 2 || count > 6) {
            throw new IllegalArgumentException("count must be between 2 and 6, got " + count);
        }
        for (long attempt = 0; ; attempt++) {
            List<Integer> numbers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                numbers.add(1 + random.nextInt(maxNumber));
            }
            List<Long> values = new ArrayList<>();
            List<String> expressions = new ArrayList<>();
            for (int n : numbers) {
                values.add((long) n);
                expressions.add(Integer.toString(n));
            }
            boolean ok = true;
            while (values.size() > 1 && ok) {
                int a = random.nextInt(values.size());
                long x = values.remove(a);
                String ex = expressions.remove(a);
                int b = random.nextInt(values.size());
                long y = values.remove(b);
                String ey = expressions.remove(b);
                char op = "+-*/".charAt(random.nextInt(4));
                long result;
                switch (op) {
                    case '+' -> result = x + y;
                    case '-' -> result = x - y;
                    case '*' -> result = x * y;
                    default -> result = y != 0 && x % y == 0 ? x / y : -1;
                }
                if (result <= 0) {
                    ok = false;
                }
                values.add(result);
                expressions.add("(" + ex + " " + op + " " + ey + ")");
            }
            long target = values.get(0);
            if (ok && target >= 1 && target <= maxTarget) {
                String solution = expressions.get(0);
                solution = solution.substring(1, solution.length() - 1); // drop the outermost parentheses
                return new CountdownItem("generated-" + attempt + "-" + target, shuffled(numbers), (int) target, "",
                        solution);
            }
        }
    }

    private List<Integer> shuffled(List<Integer> numbers) {
        List<Integer> out = new ArrayList<>(numbers);
        for (int i = out.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Integer t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        return out;
    }
}
