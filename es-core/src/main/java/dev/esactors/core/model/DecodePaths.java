package dev.esactors.core.model;

/**
 * How a {@link Decoder} computes decode steps, fixed when it is made. The defaults are the fast paths; the others
 * exist so that benchmarks and tests can compare them, and every combination gives the same tokens.
 *
 * @param fastStep           single-position steps without autograd or delta run through {@link DecodeStep}'s
 *                           preallocated buffers (same bits as the general forward)
 * @param broadcastAttention single-position CPU steps may compute attention as broadcast products (faster for small
 *                           heads; agrees with batched matrix products to rounding)
 */
public record DecodePaths(boolean fastStep, boolean broadcastAttention) {

    /** The fast paths. */
    public static final DecodePaths DEFAULT = new DecodePaths(true, true);
}
