package dev.esactors.core.model;

/**
 * Rotary position embedding parameters: the base {@code rope_theta} and, for Llama 3, the {@code rope_scaling}
 * of type {@code llama3} (frequency-dependent scaling of long wavelengths).
 *
 * @param theta                          rope_theta
 * @param llama3Factor                   rope_scaling.factor, or 1 when there is no scaling
 * @param llama3LowFreqFactor            rope_scaling.low_freq_factor
 * @param llama3HighFreqFactor           rope_scaling.high_freq_factor
 * @param llama3OriginalMaxPositions     rope_scaling.original_max_position_embeddings
 */
public record RopeConfig(double theta, double llama3Factor, double llama3LowFreqFactor,
                         double llama3HighFreqFactor, int llama3OriginalMaxPositions) {

    public RopeConfig {
        if (!(theta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + theta);
        }
    }

    /** Plain RoPE with base {@code theta}. */
    public static RopeConfig plain(double theta) {
        return new RopeConfig(theta, 1.0, 1.0, 1.0, 0);
    }

    public boolean scaled() {
        return llama3Factor != 1.0;
    }

    /**
     * The inverse frequencies of the {@code headDim / 2} rotation pairs, as Hugging Face computes them
     * ({@code 1 / theta^(2i/d)}, then the llama3 rescaling when configured).
     */
    public float[] inverseFrequencies(int headDim) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            if (scaled()) {
                f = llama3Scale(f);
            }
            inv[i] = (float) f;
        }
        return inv;
    }

    private double llama3Scale(double f) {
        double lowWavelen = llama3OriginalMaxPositions / llama3LowFreqFactor;
        double highWavelen = llama3OriginalMaxPositions / llama3HighFreqFactor;
        double wavelen = 2 * Math.PI / f;
        if (wavelen < highWavelen) {
            return f;
        }
        if (wavelen > lowWavelen) {
            return f / llama3Factor;
        }
        double smooth = (llama3OriginalMaxPositions / wavelen - llama3LowFreqFactor)
                / (llama3HighFreqFactor - llama3LowFreqFactor);
        return (1 - smooth) * f / llama3Factor + smooth * f;
    }
}
