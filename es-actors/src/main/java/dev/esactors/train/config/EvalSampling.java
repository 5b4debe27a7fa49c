package dev.esactors.train.config;

import dev.esactors.core.es.noise.SeedSchedule;
import dev.esactors.core.model.SamplingConfig;

/**
 * Sampled evaluation: besides the greedy answer, {@code samples} answers per item drawn at {@code temperature} with
 * nucleus {@code topP}. The generator of sample s of the batch that starts at item f is seeded from ({@code seed}, f,
 * s) alone, so a batch gives the same samples whoever decodes it: an evaluation round spread over evaluators, a
 * local round and {@code es-actors eval} with the same batch size agree bit for bit.
 *
 * @param samples     answers sampled per item (0: greedy only)
 * @param temperature sampling temperature (> 0 when sampling)
 * @param topP        nucleus mass in (0, 1]
 * @param seed        the evaluation's seed
 */
public record EvalSampling(int samples, double temperature, double topP, long seed) {

    /** The most answers sampled per item (pass@k beyond it says little, and each costs a greedy evaluation). */
    public static final int MAX_SAMPLES = 1024;

    public EvalSampling {
        if (samples < 0 || samples > MAX_SAMPLES) { // each costs a greedy evaluation; 2^31 filled memory
            throw new IllegalArgumentException("samples must be in [0, " + MAX_SAMPLES + "], got " + samples);
        }
        if (samples > 0 && !(temperature >= SamplingConfig.MIN_TEMPERATURE && Double.isFinite(temperature))) {
            throw new IllegalArgumentException("sampled evaluation needs a temperature >= "
                    + SamplingConfig.MIN_TEMPERATURE + ", got " + temperature
                    + " (temperature 0 is the greedy answer, which every evaluation scores anyway)");
        }
        SamplingConfig.checkTopP(topP, "top-p");
    }

    public boolean sampled() {
        return samples > 0;
    }

    /** The sampling of sample {@code sample} of the batch whose first item is item {@code firstItem}. */
    public SamplingConfig forSample(int firstItem, int sample) {
        // SeedSchedule's (iteration, member) mixing, with (first item, sample) in their place.
        return new SamplingConfig(temperature, topP, new SeedSchedule(seed).seed(firstItem, sample));
    }

    /** How the settings read in a table or a log line. */
    public String describe() {
        return sampled() ? String.format(java.util.Locale.ROOT, "%d samples at temperature %s, top-p %s, seed %d",
                samples, temperature, topP, seed) : "greedy";
    }
}
