package dev.esactors.actors.coordinator;

import dev.esactors.actors.wire.WireUpdate;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.Update;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Coordinator's bookkeeping without actors: work queues, an iteration's groups, the evaluators it serves, the
 * encoded updates, and the per-node updates.
 */
class CoordinatorBookkeepingTest {

    @Test
    void theRosterKnowsEachEvaluatorOnceAndHandsBackParkedRequestsInOrder() {
        EvaluatorRoster<String, Integer> roster = new EvaluatorRoster<>();
        assertTrue(roster.asked("a", "node1/a", 1), "a is new");
        assertTrue(roster.asked("b", "node1/b", 2));
        assertFalse(roster.asked("a", "node1/a", 3), "a asks again");
        assertEquals(3, roster.lastRequest("a"));
        roster.park("b", 2);
        roster.park("a", 3);
        assertEquals(List.of(2, 3), roster.unpark(), "in the order they were parked");
        assertEquals(List.of(), roster.unpark(), "and no longer parked");
        roster.park("a", 3);
        roster.asked("a", "node1/a", 4); // a newer request replaces the parked one
        assertEquals(List.of(), roster.unpark());
        assertEquals(List.of("a", "b"), roster.evaluators());
        roster.park("b", 5);
        assertEquals("node1/b", roster.left("b"));
        assertNull(roster.lastRequest("b"), "a departed evaluator's request is forgotten");
        assertEquals(List.of(), roster.unpark(), "and so is its parked one");
        assertNull(roster.left("b"), "leaving twice names nobody");
        assertEquals(1, roster.size());
    }

    @Test
    void updatesAreEncodedOnceEachAndOnlyWhenAskedFor() {
        EsConfig config = EsConfig.paper(3).withPopulation(4, 0.05, 0.02);
        List<Update> journal = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            journal.add(Update.fromRewards(config, t, config.schedule().members(t, 4, false),
                    new double[] {t, 1, 1, 0.5}));
        }
        AtomicInteger reads = new AtomicInteger();
        WireUpdates encoded = new WireUpdates(() -> {
            reads.incrementAndGet();
            return journal;
        });
        assertEquals(0, reads.get(), "nothing is read before it is asked for");
        List<WireUpdate> first = encoded.range(0, 2);
        assertEquals(1, reads.get());
        assertEquals(2, first.size());
        assertArrayEquals(journal.get(1).rewards(), first.get(1).rewards());
        assertArrayEquals(new double[] {1, 0.5}, first.get(1).values(), "distinct rewards, in first-seen order");
        assertTrue(first.get(0) == encoded.range(0, 1).get(0), "an update already encoded is not encoded again");
        assertEquals(1, reads.get(), "nor the journal read again");
        List<WireUpdate> rest = encoded.range(1, 3);
        assertEquals(2, reads.get(), "the journal is read again for what is new");
        assertArrayEquals(journal.get(2).rewards(), rest.get(1).rewards());
    }

    @Test
    void workIsHandedOutOnceReissuedWhenLostOrLateAndCompletedByItsFirstResult() {
        WorkQueue<Integer, String> queue = new WorkQueue<>(List.of(0, 1, 2));
        assertEquals(0, queue.next("a", 10));
        assertEquals(1, queue.next("b", 20));
        assertEquals(1, queue.reissueHeldBy("a"), "a left");
        assertEquals(0, queue.next("c", 30), "its unit goes out first");
        assertEquals(2, queue.next("c", 30));
        assertNull(queue.next("d", 30));
        assertEquals(1, queue.reissueOverdue(25), "b's deadline passed");
        assertTrue(queue.complete(1), "b answers late: its result still counts");
        assertNull(queue.next("d", 40), "and its unit is not handed out again");
        assertFalse(queue.complete(1), "a second copy is a duplicate");
        assertFalse(queue.contains(7));
        assertTrue(queue.complete(0));
        assertFalse(queue.isDone());
        assertTrue(queue.complete(2));
        assertTrue(queue.isDone());
        assertEquals(3, queue.completed());
    }

    @Test
    void anIterationAcceptsEachGroupOnceAndRefusesResultsOfAnotherIterationOrGrouping() {
        EsConfig config = EsConfig.paper(3).withPopulation(6, 0.05, 0.02)
                .withPerturbation(new Perturbation.LowRank(2, 4));
        IterationWork<String> work = new IterationWork<>(config, 5);
        assertEquals(0, work.queue().next("a", 0));
        assertEquals(1, work.queue().next("b", 0));
        assertEquals(2, work.count(1), "six members in groups of four: the last is short");
        assertEquals(IterationWork.Outcome.STALE, work.accept(4, 0, new double[4], "a"), "another iteration");
        assertEquals(IterationWork.Outcome.STALE, work.accept(5, 2, new double[4], "a"), "not a group's first member");
        assertEquals(IterationWork.Outcome.STALE, work.accept(5, 4, new double[4], "b"), "the wrong count");
        assertEquals(IterationWork.Outcome.UNISSUED, work.accept(5, 4, new double[] {7, 7}, "a"),
                "group 1 was issued to b, not to a");
        assertEquals(IterationWork.Outcome.UNISSUED, work.accept(5, 0, new double[] {7, 7, 7, 7}, "stranger"));
        assertEquals(IterationWork.Outcome.ACCEPTED, work.accept(5, 4, new double[] {0.5, Double.NaN}, "b"));
        assertEquals(IterationWork.Outcome.DUPLICATE, work.accept(5, 4, new double[] {9, 9}, "b"));
        assertFalse(work.complete());
        // group 0 issued again (its holder missed the deadline): the first answer of either holder counts
        work.queue().reissueOverdue(1);
        assertEquals(0, work.queue().next("c", 10));
        assertEquals(IterationWork.Outcome.ACCEPTED, work.accept(5, 0, new double[] {1, 2, 3, 4}, "a"));
        assertEquals(IterationWork.Outcome.DUPLICATE, work.accept(5, 0, new double[] {5, 5, 5, 5}, "c"));
        assertTrue(work.complete());
        assertArrayEquals(new double[] {1, 2, 3, 4, 0.5, Double.NaN}, work.rewards(), "the first copy counts");
    }

    @Test
    void aLaggingNodeFetchesOnceWhileItsOtherEvaluatorsWait() {
        NodeCatchUp<String> nodes = new NodeCatchUp<>();
        // Two evaluators of node n join at iteration 3 with nothing applied.
        NodeCatchUp.Decision<String> a = nodes.decide("a", "n", 0, 0, 3);
        assertEquals(NodeCatchUp.Kind.FETCH, a.kind());
        assertEquals(0, a.from());
        assertEquals(NodeCatchUp.Kind.WAIT, nodes.decide("b", "n", 0, 0, 3).kind(), "a brings them for the node");
        // a has them now and says so: b is released and served from the node's log.
        NodeCatchUp.Decision<String> again = nodes.decide("a", "n", 3, 3, 3);
        assertEquals(NodeCatchUp.Kind.SERVE, again.kind());
        assertEquals(List.of("b"), again.released());
        assertEquals(NodeCatchUp.Kind.SERVE, nodes.decide("b", "n", 0, 3, 3).kind());
    }

    @Test
    void updatesArePushedOncePerNodeThatHasTheEarlierOnes() {
        NodeCatchUp<String> nodes = new NodeCatchUp<>();
        nodes.decide("a1", "a", 3, 3, 3);
        nodes.decide("a2", "a", 3, 3, 3);
        nodes.decide("b1", "b", 3, 3, 3);
        nodes.decide("c1", "c", 0, 0, 3); // lagging: fetching
        assertEquals(List.of("a1", "b1"), nodes.pushTargets(3).stream().sorted().toList(),
                "one evaluator per node, not the node that lags");
        assertEquals(4, nodes.sent("a2"));
        assertEquals(NodeCatchUp.Kind.SERVE, nodes.decide("a2", "a", 3, 3, 4).kind(),
                "a2 is given work of iteration 4 without asking for the update");
        assertEquals(NodeCatchUp.Kind.FETCH, nodes.decide("c1", "c", 0, 0, 4).kind());

        // a1 leaves before its node reported update 3: the next evaluator of the node is sent it again.
        NodeCatchUp.Left<String> left = nodes.left("a1");
        assertEquals("a2", left.pushTo());
        assertEquals(3, left.pushFrom());
        assertEquals(4, left.pushUntil());
        // b1 waited for a push that never came: its node fetches instead.
        nodes.distrust("b1");
        assertEquals(3, nodes.sent("b1"));
        assertEquals(NodeCatchUp.Kind.FETCH, nodes.decide("b1", "b", 3, 3, 4).kind());
    }
}
