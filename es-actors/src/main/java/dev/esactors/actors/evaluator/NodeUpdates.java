package dev.esactors.actors.evaluator;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import dev.esactors.core.es.update.Update;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The updates this node has received, per run, shared by all its evaluators: the coordinator pushes each new update
 * to one evaluator of the node, and the first evaluator of a node to fall behind fetches what is missing; the others
 * find them here, so each update crosses the network once per node (not per evaluator). Updates are kept in
 * iteration order from 0, like the journal.
 */
public final class NodeUpdates implements Extension {

    /** One run's updates on this node. */
    public static final class Log {
        private final List<Update> updates = new ArrayList<>();
        private final List<Waiter> waiters = new ArrayList<>();

        private record Waiter(long count, Runnable then) {
        }

        /** How many consecutive updates (from iteration 0) the node has. */
        public synchronized long known() {
            return updates.size();
        }

        /**
         * Adds updates {@code from}, {@code from + 1}, ... as far as they continue what the node has, then tells the
         * waiters whose updates are now all here.
         */
        public void add(long from, List<Update> more) {
            List<Runnable> ready = new ArrayList<>();
            synchronized (this) {
                for (int k = 0; k < more.size(); k++) {
                    if (from + k == updates.size()) {
                        updates.add(more.get(k));
                    }
                }
                waiters.removeIf(w -> w.count() <= updates.size() && ready.add(w.then()));
            }
            ready.forEach(Runnable::run); // outside the lock: a waiter tells an actor
        }

        /**
         * Runs {@code then} once the node has {@code count} updates: now if it has, else when they are added (an
         * evaluator given work of an iteration whose update was pushed to another evaluator of its node).
         */
        public void whenKnown(long count, Runnable then) {
            synchronized (this) {
                if (updates.size() < count) {
                    waiters.add(new Waiter(count, then));
                    return;
                }
            }
            then.run();
        }

        /** Update {@code iteration}, which the node must have. */
        public synchronized Update get(long iteration) {
            return updates.get((int) iteration);
        }
    }

    private static final ExtensionId<NodeUpdates> ID = new ExtensionId<>() {
        @Override
        public NodeUpdates createExtension(ActorSystem<?> system) {
            return new NodeUpdates();
        }
    };

    private final Map<String, Log> runs = new ConcurrentHashMap<>();

    /** This node's shared updates. */
    public static NodeUpdates get(ActorSystem<?> system) {
        return system.registerExtension(ID);
    }

    /** The log of run {@code runId} on this node. */
    public Log log(String runId) {
        return runs.computeIfAbsent(runId, id -> new Log());
    }
}
