package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankPass;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.model.WeightDelta;

import java.util.ArrayList;
import java.util.List;

/**
 * How members' perturbations reach the forward pass that scores them: written into the replica's weights and
 * restored exactly (full rank, one decode per member), or passed to the forward pass as a {@link WeightDelta}
 * (low rank, one decode for the group). Evaluators and the single-process loop use it without asking which.
 */
public sealed interface MemberPerturbation {

    /**
     * One score per member of {@code group}, in order, each measured with that member's perturbation in effect. A
     * fitness that throws fails the members it was scoring (NaN reward, the error kept); the replica is left
     * bit-identical to before either way.
     */
    List<MemberScore> evaluate(long iteration, List<Member> group, GroupFitness fitness);

    /** The perturbation {@code replica}'s ES config asks for. */
    static MemberPerturbation of(EsReplica replica) {
        return replica.config().perturbation() instanceof Perturbation.LowRank
                ? new LowRank(replica) : new FullRank(replica);
    }

    /** The paper's noise: each member perturbs every selected weight, decodes alone, and is restored. */
    record FullRank(EsReplica replica) implements MemberPerturbation {
        @Override
        public List<MemberScore> evaluate(long iteration, List<Member> group, GroupFitness fitness) {
            List<MemberScore> out = new ArrayList<>(group.size());
            for (Member member : group) {
                long start = System.nanoTime();
                replica.perturb(member);
                long perturbed = System.nanoTime();
                MemberScore score;
                long decoded;
                try {
                    score = fitness.score(iteration, List.of(member), WeightDelta.NONE).get(0);
                } catch (RuntimeException e) {
                    score = MemberScore.failed(e);
                } finally {
                    decoded = System.nanoTime();
                    replica.restore();
                }
                out.add(score.timed(perturbed - start + System.nanoTime() - decoded, decoded - perturbed));
            }
            return out;
        }
    }

    /** EGGROLL's low-rank noise: the group's perturbations ride along in one batched decode; weights never change. */
    record LowRank(EsReplica replica) implements MemberPerturbation {
        @Override
        public List<MemberScore> evaluate(long iteration, List<Member> group, GroupFitness fitness) {
            long start = System.nanoTime();
            long perturbed = start;
            List<MemberScore> scores;
            try (LowRankPass pass = replica.lowRankPass(group)) {
                perturbed = System.nanoTime();
                scores = fitness.score(iteration, group, pass);
            } catch (RuntimeException e) {
                MemberScore failed = MemberScore.failed(e);
                scores = group.stream().map(m -> failed).toList();
            }
            // The pass's cost is shared evenly: members per second stay comparable with full rank.
            long perturb = (perturbed - start) / group.size();
            long decode = (System.nanoTime() - perturbed) / group.size();
            return scores.stream().map(s -> s.timed(perturb, decode)).toList();
        }
    }
}
