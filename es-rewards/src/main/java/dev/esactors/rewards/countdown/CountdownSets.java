package dev.esactors.rewards.countdown;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded sets of Countdown problems at CPU scale, as the shipped datasets and the task's generated training problems
 * are made: 3 or 4 numbers (evenly) in [1, 99], targets in [1, 99] (the range of TinyZero's Countdown-Tasks-3to4),
 * each with the solution it was built from; no problem twice, and none whose {@link #key} is excluded.
 */
public final class CountdownSets {

    /** Largest number drawn. */
    public static final int MAX_NUMBER = 99;
    /** Largest target. */
    public static final int MAX_TARGET = 99;

    private CountdownSets() {
    }

    /**
     * The first {@code count} problems of {@code seed}'s stream whose key is not in {@code exclude}, with ids
     * {@code prefix-1 ..}; solutions written without spaces (the compact answers a small model is trained on).
     */
    public static List<CountdownItem> generate(long seed, int count, Collection<String> exclude, String prefix) {
        CountdownGenerator generator = new CountdownGenerator(seed, MAX_NUMBER, MAX_TARGET);
        SplittableRandom sizes = new SplittableRandom(~seed);
        Set<String> seen = new HashSet<>(exclude);
        List<CountdownItem> items = new ArrayList<>(count);
        for (long attempts = 0; items.size() < count; attempts++) {
            if (attempts > 100L * count + 1000) {
                throw new IllegalStateException("only " + items.size() + " of " + count + " distinct problems after "
                        + attempts + " draws of seed " + seed);
            }
            CountdownItem drawn = generator.next(3 + sizes.nextInt(2));
            if (seen.add(key(drawn))) {
                items.add(new CountdownItem(prefix + "-" + (items.size() + 1), drawn.numbers(), drawn.target(), "",
                        drawn.solution().replace(" ", "")));
            }
        }
        return items;
    }

    /** What makes two problems the same: the numbers as a multiset and the target ("3,7,25,50=82"). */
    public static String key(CountdownItem item) {
        List<Integer> sorted = new ArrayList<>(item.numbers());
        sorted.sort(null);
        StringBuilder out = new StringBuilder();
        for (int n : sorted) {
            out.append(out.isEmpty() ? "" : ",").append(n);
        }
        return String.format(Locale.ROOT, "%s=%d", out, item.target());
    }
}
