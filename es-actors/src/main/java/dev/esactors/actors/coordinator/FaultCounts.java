package dev.esactors.actors.coordinator;

import dev.esactors.actors.metrics.CoordinatorMetrics;

/**
 * What went wrong and was absorbed so far: results ignored as stale, duplicate or not issued to their sender, work
 * issued again. Read by the
 * metrics at scrape time from the HTTP thread, hence volatile; the coordinator is the one writer.
 */
final class FaultCounts implements CoordinatorMetrics.Tallies {

    volatile long reissued;
    volatile long stale;
    volatile long duplicates;
    volatile long unissued;
    volatile int evaluatorsActive;

    @Override
    public long reissued() {
        return reissued;
    }

    @Override
    public long stale() {
        return stale;
    }

    @Override
    public long duplicates() {
        return duplicates;
    }

    @Override
    public long unissued() {
        return unissued;
    }

    @Override
    public int evaluatorsActive() {
        return evaluatorsActive;
    }
}
