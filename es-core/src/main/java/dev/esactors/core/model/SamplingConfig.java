package dev.esactors.core.model;

/**
 * How tokens are chosen: greedy (temperature 0, the ES default), or sampling at {@code temperature} from the
 * smallest set of tokens whose probability reaches {@code topP}, driven by a generator seeded with {@code seed}.
 */
public record SamplingConfig(double temperature, double topP, long seed) {

    public static final SamplingConfig GREEDY = new SamplingConfig(0, 1, 0);

    /**
     * The lowest sampling temperature: below it sampling picks the greedy token anyway (logits / T spread by
     * thousands), and far below it logits / T overflow float32 and the probabilities turn NaN.
     */
    public static final double MIN_TEMPERATURE = 1e-3;

    public SamplingConfig {
        checkTemperature(temperature, "temperature");
        checkTopP(topP, "top_p");
    }

    /** Refuses a temperature that is neither 0 nor at least {@link #MIN_TEMPERATURE}, naming it {@code name}. */
    public static void checkTemperature(double temperature, String name) {
        if (!(temperature == 0 || (temperature >= MIN_TEMPERATURE && Double.isFinite(temperature)))) {
            throw new IllegalArgumentException(name + " must be 0 (greedy) or a finite number >= " + MIN_TEMPERATURE
                    + ", got " + temperature);
        }
    }

    /** Refuses a nucleus mass outside (0, 1], naming it {@code name} (a key or an option as the user wrote it). */
    public static void checkTopP(double topP, String name) {
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException(name + " must be in (0, 1], got " + topP);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
