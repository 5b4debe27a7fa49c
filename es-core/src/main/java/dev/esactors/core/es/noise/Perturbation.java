package dev.esactors.core.es.noise;

/**
 * How a member's noise enters the model. Full rank (the paper's): every weight gets sigma x N(0,1), written into
 * the replica's working copy, one member at a time. Low rank (EGGROLL, Sarkar et al. 2025): a matrix W (out, in)
 * gets sigma x A B^T / sqrt(r) with A (out, r) and B (in, r) standard normal, vectors full-rank noise; it is
 * applied inside the forward pass (y = x W^T + sigma (x B) A^T / sqrt(r)), so several members share one batch and
 * the weights never change.
 */
public sealed interface Perturbation {

    /** Members evaluated in one batched forward pass (1 for full rank). */
    int membersPerPass();

    /** The paper's full-rank perturbation, one member at a time. */
    record FullRank() implements Perturbation {
        @Override
        public int membersPerPass() {
            return 1;
        }
    }

    /**
     * Low-rank perturbations of rank {@code rank}, {@code membersPerPass} members per forward pass. The groups are
     * fixed by the config (members [g P, (g + 1) P)), so a member's batch, and with it every floating-point
     * result, is the same whichever evaluator runs it.
     *
     * @param rank           r, the rank of each matrix's noise
     * @param membersPerPass P, members sharing one batch
     */
    record LowRank(int rank, int membersPerPass) implements Perturbation {
        public LowRank {
            // low rank means a few: EGGROLL uses 1; a rank in the thousands is a full-rank noise at a larger cost
            if (rank < 1 || rank > 256) {
                throw new IllegalArgumentException("low-rank perturbations need a rank in [1, 256], got " + rank);
            }
            if (membersPerPass < 1 || membersPerPass > 4096) {
                throw new IllegalArgumentException("members per pass must be in [1, 4096], got " + membersPerPass);
            }
        }
    }

    FullRank FULL = new FullRank();
}
