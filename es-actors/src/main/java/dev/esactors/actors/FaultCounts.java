package dev.esactors.actors;

import dev.esactors.actors.metrics.CoordinatorMetrics;

/**
 * What went wrong and was absorbed so far: results ignored as stale or duplicate, work issued again. Read by the
 * metrics at scrape time from the HTTP thread, hence volatile; the coordinator is the one writer.
 */
final class FaultCounts implements CoordinatorMetrics.Tallies {

    volatile long reissued;
    volatile long stale;
    volatile long duplicates;
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
    public int evaluatorsActive() {
        return evaluatorsActive;
    }
}
