package dev.esactors.actors.coordinator;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The coordinator's units of work of one phase (an iteration's member groups, or an evaluation round's chunks):
 * waiting, in flight with a holder and a deadline, or done. A unit whose holder leaves or misses its deadline goes
 * back to the head of the queue; the first result for a unit from one of its holders completes it and every later
 * copy is a duplicate.
 * Plain bookkeeping with the clock passed in, so it is tested without actors or time.
 *
 * @param <K> a unit of work
 * @param <H> who holds it (an evaluator)
 */
final class WorkQueue<K, H> {

    /** Who holds a unit, and until when. */
    record Assignment<H>(H holder, long deadlineNanos) {
    }

    private final Deque<K> waiting = new ArrayDeque<>();
    private final Map<K, Assignment<H>> inFlight = new LinkedHashMap<>();
    private final Set<K> all = new HashSet<>();
    private final Set<K> done = new HashSet<>();
    private final Map<K, Set<H>> issuedTo = new HashMap<>();

    /** A queue of {@code units}, in the order they are handed out. */
    WorkQueue(Iterable<K> units) {
        for (K unit : units) {
            if (all.add(unit)) {
                waiting.add(unit);
            }
        }
    }

    /** Hands the next waiting unit to {@code holder} until {@code deadlineNanos}; null when none is waiting. */
    K next(H holder, long deadlineNanos) {
        K unit = waiting.poll();
        if (unit != null) {
            inFlight.put(unit, new Assignment<>(holder, deadlineNanos));
            issuedTo.computeIfAbsent(unit, u -> new HashSet<>()).add(holder);
        }
        return unit;
    }

    /**
     * Whether {@code unit} was ever handed to {@code holder}: only they may answer for it (a unit issued again has
     * several). A result from anyone else was not asked for, whoever sent it.
     */
    boolean issuedTo(K unit, H holder) {
        return issuedTo.getOrDefault(unit, Set.of()).contains(holder);
    }

    /** Whether {@code unit} belongs to this queue at all (a result for anything else is stale). */
    boolean contains(K unit) {
        return all.contains(unit);
    }

    /**
     * Completes {@code unit} with its first result: true then, false for a duplicate (already done). A unit that
     * was issued again and is still waiting leaves the queue.
     */
    boolean complete(K unit) {
        if (!all.contains(unit) || !done.add(unit)) {
            return false;
        }
        inFlight.remove(unit);
        waiting.remove(unit);
        return true;
    }

    /** Puts the in-flight units whose assignment matches back at the head of the queue; returns how many. */
    int reissue(Predicate<Assignment<H>> which) {
        int count = 0;
        for (Iterator<Map.Entry<K, Assignment<H>>> it = inFlight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<K, Assignment<H>> e = it.next();
            if (which.test(e.getValue())) {
                it.remove();
                waiting.addFirst(e.getKey());
                count++;
            }
        }
        return count;
    }

    /** Units in flight past {@code nowNanos} go back to the queue; returns how many. */
    int reissueOverdue(long nowNanos) {
        return reissue(a -> a.deadlineNanos() < nowNanos);
    }

    /** Units held by {@code holder} go back to the queue; returns how many. */
    int reissueHeldBy(H holder) {
        return reissue(a -> a.holder().equals(holder));
    }

    /** Whether every unit has its result. */
    boolean isDone() {
        return done.size() == all.size();
    }

    /** Units with a result so far. */
    int completed() {
        return done.size();
    }
}
