package dev.esactors.core.es.update;

/**
 * How the step size alpha changes over a run. Constant (the paper's) keeps it; cosine lowers it from alpha to a
 * final value along half a cosine. A constant step leaves the weights moving in a cloud around where the signal
 * holds them (every step adds noise of the same size); letting the step shrink at the end settles them near that
 * cloud's centre. Updates carry the alpha of their iteration (the journal records it), so a resumed run or a
 * catching-up evaluator applies exactly the steps the coordinator took.
 */
public sealed interface AlphaSchedule {

    /** The step size of {@code iteration} (0-based) for a run whose configured alpha is {@code alpha}. */
    double at(double alpha, long iteration);

    /** The paper's: alpha at every iteration. */
    record Constant() implements AlphaSchedule {
        @Override
        public double at(double alpha, long iteration) {
            return alpha;
        }
    }

    /**
     * alpha_t = finalAlpha + (alpha - finalAlpha) (1 + cos(pi t / iterations)) / 2 for t below {@code iterations},
     * finalAlpha from then on.
     *
     * @param finalAlpha the step size the decay ends at (>= 0)
     * @param iterations the length of the decay (>= 1), usually the run's iterations
     */
    record Cosine(double finalAlpha, long iterations) implements AlphaSchedule {
        public Cosine {
            if (!(finalAlpha >= 0) || Double.isInfinite(finalAlpha)) {
                throw new IllegalArgumentException("the final alpha must be >= 0, got " + finalAlpha);
            }
            if (iterations < 1) {
                throw new IllegalArgumentException("a cosine decay needs >= 1 iterations, got " + iterations);
            }
        }

        @Override
        public double at(double alpha, long iteration) {
            if (iteration >= iterations) {
                return finalAlpha;
            }
            return finalAlpha + (alpha - finalAlpha) * 0.5 * (1 + Math.cos(Math.PI * iteration / iterations));
        }
    }

    Constant CONSTANT = new Constant();
}
