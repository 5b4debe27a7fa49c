package dev.esactors.core.es.noise;

/**
 * One member of an iteration's population: its noise is {@code sign} x eps({@code seed}).
 *
 * @param index position in the population (updates are summed in this order)
 * @param seed  the noise seed
 * @param sign  +1, or -1 for the mirrored half of an antithetic pair
 */
public record Member(int index, long seed, int sign) {

    public Member {
        if (sign != 1 && sign != -1) {
            throw new IllegalArgumentException("sign must be +1 or -1, got " + sign);
        }
    }
}
