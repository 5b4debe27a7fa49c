package dev.esactors.actors.coordinator;

import dev.esactors.train.eval.EvalRound;
import dev.esactors.train.eval.Evaluation;

/**
 * An evaluation round as work: its chunks handed out by a {@link WorkQueue} like an iteration's member groups, and
 * the first result of each chunk recorded in the round.
 *
 * @param <E> an evaluator
 */
final class RoundWork<E> {

    private final EvalRound round;
    private final WorkQueue<EvalRound.Chunk, E> chunks;

    RoundWork(EvalRound round) {
        this.round = round;
        this.chunks = new WorkQueue<>(round.units());
    }

    EvalRound round() {
        return round;
    }

    WorkQueue<EvalRound.Chunk, E> queue() {
        return chunks;
    }

    /**
     * Records chunk {@code chunk} of dataset {@code dataset}, scored with the weights after {@code iteration} by
     * {@code from}.
     */
    IterationWork.Outcome accept(long iteration, int dataset, int chunk, Evaluation.Tally tally, String evaluatorId,
                                 E from) {
        EvalRound.Chunk unit = new EvalRound.Chunk(dataset, chunk);
        if (iteration != round.iteration() || !chunks.contains(unit)) {
            return IterationWork.Outcome.STALE;
        }
        if (!chunks.issuedTo(unit, from)) {
            return IterationWork.Outcome.UNISSUED;
        }
        if (!chunks.complete(unit)) {
            return IterationWork.Outcome.DUPLICATE;
        }
        round.accept(unit, tally, evaluatorId);
        return IterationWork.Outcome.ACCEPTED;
    }

    /** Whether every chunk has its result. */
    boolean complete() {
        return chunks.isDone();
    }
}
