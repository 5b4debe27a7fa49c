package dev.esactors.actors.coordinator;

import akka.actor.typed.ActorRef;
import dev.esactors.actors.wire.EvaluatorProtocol;
import dev.esactors.actors.wire.WireUpdate;
import dev.esactors.core.es.update.Update;

import java.util.List;
import java.util.function.Supplier;

/**
 * Which committed updates go to which evaluator, and the messages that carry them: pushed to one evaluator per node
 * as they are committed, fetched by an evaluator whose node lacks them, pushed again to a node whose pushed-to
 * evaluator left. The decisions are {@link NodeCatchUp}'s; the wire forms are {@link WireUpdates}'.
 */
final class UpdateDelivery {

    private final NodeCatchUp<ActorRef<EvaluatorProtocol.Command>> nodes = new NodeCatchUp<>();
    private final WireUpdates codes;

    UpdateDelivery(Supplier<List<Update>> journal) {
        this.codes = new WireUpdates(journal);
    }

    /** Sends update {@code iteration} to one evaluator of every node that has all earlier ones. */
    void push(long iteration) {
        List<ActorRef<EvaluatorProtocol.Command>> targets = nodes.pushTargets(iteration);
        if (!targets.isEmpty()) {
            WireUpdate code = codes.range(iteration, iteration + 1).get(0);
            targets.forEach(e -> e.tell(new EvaluatorProtocol.UpdatePushed(iteration, code)));
        }
    }

    /**
     * Whether an evaluator that asked for work at iteration {@code t} waits for its node, fetches what its node lacks
     * (sent here, as a CatchUp), or is served; and which waiting evaluators the answer released.
     */
    NodeCatchUp.Decision<ActorRef<EvaluatorProtocol.Command>> decide(ActorRef<EvaluatorProtocol.Command> evaluator,
                                                                   String node, long applied, long known, long t) {
        NodeCatchUp.Decision<ActorRef<EvaluatorProtocol.Command>> decision = nodes.decide(evaluator, node, applied,
                known, t);
        if (decision.kind() == NodeCatchUp.Kind.FETCH) {
            evaluator.tell(new EvaluatorProtocol.CatchUp(decision.from(), codes.range(decision.from(), t)));
        }
        return decision;
    }

    /** The updates {@code evaluator}'s node counts as having (reported or pushed). */
    long sent(ActorRef<EvaluatorProtocol.Command> evaluator) {
        return nodes.sent(evaluator);
    }

    /** {@code evaluator} waited for a pushed update that never reached its node: its node fetches instead. */
    void distrust(ActorRef<EvaluatorProtocol.Command> evaluator) {
        nodes.distrust(evaluator);
    }

    /**
     * {@code evaluator} left: the updates pushed to it go to another evaluator of its node; returns the evaluators
     * that waited on it.
     */
    List<ActorRef<EvaluatorProtocol.Command>> left(ActorRef<EvaluatorProtocol.Command> evaluator) {
        NodeCatchUp.Left<ActorRef<EvaluatorProtocol.Command>> left = nodes.left(evaluator);
        List<WireUpdate> lost = left.pushTo() == null ? List.of() : codes.range(left.pushFrom(), left.pushUntil());
        for (int k = 0; k < lost.size(); k++) {
            left.pushTo().tell(new EvaluatorProtocol.UpdatePushed(left.pushFrom() + k, lost.get(k)));
        }
        return left.released();
    }
}
