package dev.esactors.core.es.update;

import dev.esactors.core.es.noise.SeedSchedule;

/**
 * What turning rewards into an update reads of a run's ES settings ({@code EsConfig} implements it), so that the
 * update rule depends on these five values and not on the whole engine's configuration.
 */
public interface UpdateSettings {

    /** How raw rewards become coefficients. */
    FitnessShaping shaping();

    /** Whether rewards are shuffled across the population first (the shuffled-reward control). */
    boolean shuffledControl();

    /** The run's seeds: the shuffle of the control is seeded from them. */
    SeedSchedule schedule();

    /** The step size of {@code iteration}. */
    double alphaAt(long iteration);

    /** The noise scale. */
    double sigma();
}
