package dev.esactors.actors;

import dev.esactors.core.es.Update;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** A run's journalled updates as they cross the network ({@link RewardCode}s), each encoded once. */
final class EncodedUpdates {

    private final Supplier<List<Update>> journal;
    private final List<RewardCode> codes = new ArrayList<>();

    /** Encodes the updates {@code journal} returns (in iteration order from 0) as they are asked for. */
    EncodedUpdates(Supplier<List<Update>> journal) {
        this.journal = journal;
    }

    /** Updates {@code from} .. {@code until - 1}. */
    List<RewardCode> range(long from, long until) {
        if (codes.size() < until) {
            List<Update> updates = journal.get();
            while (codes.size() < until) {
                codes.add(RewardCode.of(updates.get(codes.size())));
            }
        }
        return codes.subList((int) from, (int) until);
    }
}
