package dev.esactors.core.es.update;

/**
 * How the ES gradient estimate g = (1/N) sum_n c_n eps_n moves the fp32 master weights.
 * {@link Plain} is the paper's rule; {@link Adam} goes beyond the paper.
 */
public sealed interface UpdateRule {

    /** Decoupled weight decay: the master shrinks by alpha x weightDecay each iteration. 0 turns it off. */
    double weightDecay();

    /**
     * The paper's update: master += alpha x g (Qiu et al. 2025 fold 1/sigma into alpha).
     *
     * @param weightDecay decoupled weight decay, 0 for none
     */
    record Plain(double weightDecay) implements UpdateRule {
        public Plain {
            nonNegative(weightDecay);
        }
    }

    /**
     * Adam on the ES gradient estimate: master += alpha x mhat / (sqrt(vhat) + epsilon). Its moment estimates are
     * part of every checkpoint. Not in the paper.
     */
    record Adam(double beta1, double beta2, double epsilon, double weightDecay) implements UpdateRule {
        public Adam {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("Adam epsilon must be > 0, got " + epsilon);
            }
            nonNegative(weightDecay);
        }
    }

    /** The paper's rule without weight decay. */
    UpdateRule PAPER = new Plain(0);

    private static void nonNegative(double weightDecay) {
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
    }
}
