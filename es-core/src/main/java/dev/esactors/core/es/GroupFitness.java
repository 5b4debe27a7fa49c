package dev.esactors.core.es;

import dev.esactors.core.es.noise.Member;
import dev.esactors.core.model.WeightDelta;

import java.util.List;

/** The fitness of a group of members of one iteration, scored in one batched decode under a weight delta. */
@FunctionalInterface
public interface GroupFitness {

    /**
     * Scores {@code group} (members of {@code iteration}), whose perturbations are in the model's weights or in
     * {@code delta} (member-major rows, {@link WeightDelta#members()} of them): one score per member, in order.
     */
    List<MemberScore> score(long iteration, List<Member> group, WeightDelta delta);
}
