package dev.esactors.actors.coordinator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluators a coordinator serves: their names, the last request of each (what it has applied, its node), and
 * those parked until there is work for them. Plain bookkeeping.
 *
 * @param <E> an evaluator
 * @param <R> its request for work
 */
final class EvaluatorRoster<E, R> {

    private final Map<E, String> names = new LinkedHashMap<>();
    private final Map<E, R> lastRequest = new LinkedHashMap<>();
    private final Map<E, R> parked = new LinkedHashMap<>();

    /** Records {@code request} of {@code evaluator} named {@code name}; true if the evaluator is new. */
    boolean asked(E evaluator, String name, R request) {
        lastRequest.put(evaluator, request);
        parked.remove(evaluator); // a newer request replaces a parked one
        return names.putIfAbsent(evaluator, name) == null;
    }

    /** The evaluator's last request, or null if it never asked (or left). */
    R lastRequest(E evaluator) {
        return lastRequest.get(evaluator);
    }

    /** Parks the evaluator's request until there is work. */
    void park(E evaluator, R request) {
        parked.put(evaluator, request);
    }

    /** The parked requests, in the order they were parked, no longer parked. */
    List<R> unpark() {
        List<R> out = new ArrayList<>(parked.values());
        parked.clear();
        return out;
    }

    /** Forgets the evaluator; returns its name (null if unknown). */
    String left(E evaluator) {
        parked.remove(evaluator);
        lastRequest.remove(evaluator);
        return names.remove(evaluator);
    }

    /** How many evaluators have joined and not left. */
    int size() {
        return names.size();
    }

    /** The evaluators that have joined and not left. */
    List<E> evaluators() {
        return List.copyOf(names.keySet());
    }
}
