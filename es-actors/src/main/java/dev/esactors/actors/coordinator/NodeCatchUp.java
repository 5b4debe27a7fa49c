package dev.esactors.actors.coordinator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What the coordinator knows of each node's updates (its evaluators share them, {@code NodeUpdates}), so that every
 * update crosses the network once per node: pushed to one evaluator of each node as it is committed, or fetched by
 * the first evaluator of a lagging node while the node's others wait. Plain bookkeeping, tested without actors.
 *
 * @param <E> an evaluator
 */
final class NodeCatchUp<E> {

    /** What to do with an evaluator asking for work at the weights after t updates. */
    enum Kind {
        /** give it work: it or its node has the updates, or they were pushed to its node */
        SERVE,
        /** park it: another evaluator of its node is fetching the updates */
        WAIT,
        /** send it the updates from {@code from} on: its node lacks them and nobody fetches them */
        FETCH
    }

    /**
     * A decision and the evaluators it frees.
     *
     * @param kind     what to do
     * @param from     the first update to send (FETCH)
     * @param released evaluators of the node that waited for a fetch that has now arrived: serve them again
     */
    record Decision<E>(Kind kind, long from, List<E> released) {
    }

    /**
     * What an evaluator's leaving changes.
     *
     * @param released     evaluators that waited for its fetch: serve them again (one will fetch)
     * @param pushTo       its node's next push target, to be sent the updates the leaver may not have passed on
     *                     (null if none)
     * @param pushFrom     the first of those updates
     * @param pushUntil    one past the last
     */
    record Left<E>(List<E> released, E pushTo, long pushFrom, long pushUntil) {
    }

    private static final class Node<E> {
        final LinkedHashSet<E> evaluators = new LinkedHashSet<>(); // the first is the push target
        long reported; // updates the node said it has (the largest count in its evaluators' requests)
        long sent;     // updates it has or was pushed: >= reported
        E fetcher;
        long fetchUntil;
        final List<E> waiting = new ArrayList<>();
    }

    private final Map<String, Node<E>> nodes = new HashMap<>();
    private final Map<E, String> nodeOf = new HashMap<>();

    /**
     * Decides for {@code evaluator} of {@code node} asking at the weights after {@code t} updates: it has applied
     * {@code applied} of the {@code known} updates its node has.
     */
    Decision<E> decide(E evaluator, String node, long applied, long known, long t) {
        Node<E> n = nodes.computeIfAbsent(node, k -> new Node<>());
        if (nodeOf.putIfAbsent(evaluator, node) == null) {
            n.evaluators.add(evaluator);
        }
        n.reported = Math.max(n.reported, known);
        n.sent = Math.max(n.sent, n.reported);
        List<E> released = List.of();
        if (n.reported >= n.fetchUntil && n.fetcher != null) {
            n.fetcher = null; // the fetch arrived
            released = List.copyOf(n.waiting);
            n.waiting.clear();
        }
        if (applied >= t || n.sent >= t) {
            return new Decision<>(Kind.SERVE, t, released);
        }
        if (n.fetcher != null && n.fetchUntil >= t && !n.fetcher.equals(evaluator)) {
            if (!n.waiting.contains(evaluator)) {
                n.waiting.add(evaluator);
            }
            return new Decision<>(Kind.WAIT, t, released);
        }
        n.fetcher = evaluator;
        n.fetchUntil = t;
        return new Decision<>(Kind.FETCH, Math.min(known, t), released);
    }

    /**
     * The evaluators to push update {@code iteration} to: one per node that has every earlier update (nodes behind
     * fetch what they lack when they ask). Those nodes count as having it from now on.
     */
    List<E> pushTargets(long iteration) {
        List<E> targets = new ArrayList<>();
        for (Node<E> n : nodes.values()) {
            if (n.sent == iteration && !n.evaluators.isEmpty()) {
                targets.add(n.evaluators.iterator().next());
                n.sent = iteration + 1;
            }
        }
        return targets;
    }

    /** The updates {@code evaluator}'s node counts as having (reported or pushed). */
    long sent(E evaluator) {
        String node = nodeOf.get(evaluator);
        return node == null ? 0 : nodes.get(node).sent;
    }

    /**
     * {@code evaluator} waited for a pushed update that never reached its node: count only what the node reported,
     * so that it fetches.
     */
    void distrust(E evaluator) {
        String node = nodeOf.get(evaluator);
        if (node != null) {
            Node<E> n = nodes.get(node);
            n.sent = n.reported;
        }
    }

    /** Forgets {@code evaluator}; see {@link Left}. */
    Left<E> left(E evaluator) {
        String node = nodeOf.remove(evaluator);
        if (node == null) {
            return new Left<>(List.of(), null, 0, 0);
        }
        Node<E> n = nodes.get(node);
        boolean wasTarget = !n.evaluators.isEmpty() && n.evaluators.iterator().next().equals(evaluator);
        n.evaluators.remove(evaluator);
        n.waiting.remove(evaluator);
        List<E> released = List.of();
        if (evaluator.equals(n.fetcher)) {
            n.fetcher = null;
            released = List.copyOf(n.waiting);
            n.waiting.clear();
        }
        if (n.evaluators.isEmpty()) {
            nodes.remove(node);
            return new Left<>(released, null, 0, 0);
        }
        if (wasTarget && n.sent > n.reported) {
            // Pushes to the leaver may not have reached the node's log: send them again to the next target.
            return new Left<>(released, n.evaluators.iterator().next(), n.reported, n.sent);
        }
        return new Left<>(released, null, 0, 0);
    }
}
