package dev.esactors.actors.coordinator;

import dev.esactors.actors.wire.WireUpdate;
import dev.esactors.core.es.update.Update;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** A run's journalled updates as they cross the network ({@link WireUpdate}s), each encoded once. */
final class WireUpdates {

    private final Supplier<List<Update>> journal;
    private final List<WireUpdate> codes = new ArrayList<>();

    /** Encodes the updates {@code journal} returns (in iteration order from 0) as they are asked for. */
    WireUpdates(Supplier<List<Update>> journal) {
        this.journal = journal;
    }

    /** Updates {@code from} .. {@code until - 1}. */
    List<WireUpdate> range(long from, long until) {
        if (codes.size() < until) {
            List<Update> updates = journal.get();
            while (codes.size() < until) {
                codes.add(WireUpdate.of(updates.get(codes.size())));
            }
        }
        return codes.subList((int) from, (int) until);
    }
}
