package dev.esactors.core.es.noise;

import java.util.ArrayList;
import java.util.List;

/**
 * The population's seeds as a pure function of (run seed, iteration, member): no state, so a resumed run, a
 * replaying evaluator and a fresh process all derive the same seeds.
 *
 * @param runSeed the seed of the whole run
 */
public record SeedSchedule(long runSeed) {

    /** The 64-bit golden-ratio increment of SplitMix64. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** The seed of {@code member} at {@code iteration} (non-negative, so it reads the same in every tool). */
    public long seed(long iteration, int member) {
        long h = mix(runSeed + GOLDEN * (iteration + 1));
        return mix(h + GOLDEN * (member + 1L)) & Long.MAX_VALUE;
    }

    /**
     * The members of one iteration. With antithetic sampling, members 2k and 2k+1 share seed k with signs +1
     * and -1 (mirrored noise), so the population size must be even.
     */
    public List<Member> members(long iteration, int populationSize, boolean antithetic) {
        if (populationSize < 1) {
            throw new IllegalArgumentException("population size must be >= 1, got " + populationSize);
        }
        if (antithetic && populationSize % 2 != 0) {
            throw new IllegalArgumentException("antithetic sampling needs an even population, got " + populationSize);
        }
        List<Member> members = new ArrayList<>(populationSize);
        for (int n = 0; n < populationSize; n++) {
            members.add(antithetic
                    ? new Member(n, seed(iteration, n / 2), n % 2 == 0 ? 1 : -1)
                    : new Member(n, seed(iteration, n), 1));
        }
        return members;
    }

    /** SplitMix64's finaliser: a bijection on 64 bits that spreads every input bit over the output. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The generator seed of tensor {@code index} for a member seed, for per-tensor noise. */
    static long tensorSeed(long memberSeed, int index) {
        return mix(memberSeed + GOLDEN * (index + 1L)) & Long.MAX_VALUE;
    }
}
