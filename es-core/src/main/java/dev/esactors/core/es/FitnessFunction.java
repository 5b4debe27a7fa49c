package dev.esactors.core.es;

import dev.esactors.core.es.noise.Member;
/**
 * Scores the model as it stands while one member's noise is applied: decode a batch, reward the completions,
 * return one number (higher is better). It may throw; the trainer then counts the member as failed.
 */
@FunctionalInterface
public interface FitnessFunction {

    double evaluate(long iteration, Member member) throws Exception;
}
