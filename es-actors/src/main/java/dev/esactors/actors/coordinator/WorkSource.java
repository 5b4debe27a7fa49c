package dev.esactors.actors.coordinator;

import akka.actor.typed.ActorRef;
import dev.esactors.actors.wire.EvaluatorProtocol;

import java.util.function.Function;

/**
 * What a Coordinator phase hands to evaluators that ask for work: an iteration's member groups, an evaluation round's
 * chunks, or nothing while an update is committed.
 */
interface WorkSource {

    /** Hands the next unit to {@code evaluator}; false if nothing is waiting. */
    boolean handOut(ActorRef<EvaluatorProtocol.Command> evaluator, long deadlineNanos);

    /** Units held by {@code evaluator} go back to the queue; returns how many. */
    int reissueHeldBy(ActorRef<EvaluatorProtocol.Command> evaluator);

    /** Units past their deadline go back to the queue; returns how many. */
    int reissueOverdue(long nowNanos);

    /** A phase with nothing to hand out. */
    WorkSource NOTHING = new WorkSource() {
        @Override
        public boolean handOut(ActorRef<EvaluatorProtocol.Command> evaluator, long deadlineNanos) {
            return false;
        }

        @Override
        public int reissueHeldBy(ActorRef<EvaluatorProtocol.Command> evaluator) {
            return 0;
        }

        @Override
        public int reissueOverdue(long nowNanos) {
            return 0;
        }
    };

    /** The units of {@code queue}, each sent as the message {@code work} makes of it. */
    static <K> WorkSource of(WorkQueue<K, ActorRef<EvaluatorProtocol.Command>> queue, Function<K, EvaluatorProtocol.Command> work) {
        return new WorkSource() {
            @Override
            public boolean handOut(ActorRef<EvaluatorProtocol.Command> evaluator, long deadlineNanos) {
                K unit = queue.next(evaluator, deadlineNanos);
                if (unit != null) {
                    evaluator.tell(work.apply(unit));
                }
                return unit != null;
            }

            @Override
            public int reissueHeldBy(ActorRef<EvaluatorProtocol.Command> evaluator) {
                return queue.reissueHeldBy(evaluator);
            }

            @Override
            public int reissueOverdue(long nowNanos) {
                return queue.reissueOverdue(nowNanos);
            }
        };
    }
}
