package dev.esactors.actors.metrics;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.state.RunState;
import dev.esactors.train.RunEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The run's progress as the Coordinator sees it: one sample of each gauge per committed iteration. Counters of
 * reissued, stale, duplicate and unissued results read the Coordinator's own tallies. Names are documented in
 * docs/operations.md and queried by the Grafana dashboard (a test checks that every queried name exists).
 */
public final class CoordinatorMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    /** What the Coordinator counts itself; read by the function counters at scrape time. */
    public interface Tallies {
        long reissued();

        long stale();

        long duplicates();

        long unissued();

        int evaluatorsActive();
    }

    private final Tallies tallies; // held here because function counters only keep weak references
    private final Timer iterationSeconds;
    private final Timer checkpointSeconds;
    private final Timer messageSeconds;
    private final Timer updateSeconds;
    private final Counter membersEvaluated;
    private final Counter membersFailed;
    private final Counter updatesSkipped;
    private volatile double iteration;
    private volatile double checkpointBytes = Double.NaN;
    private volatile double updateNorm = Double.NaN;
    private volatile double evaluationsPerSecond = Double.NaN;
    private volatile double heldOutAccuracy = Double.NaN;
    private volatile double heldOutReward = Double.NaN;
    private volatile double heldOutBest = Double.NaN;
    private volatile double heldOutPassAtK = Double.NaN;
    private volatile double distinctRewards = Double.NaN;
    private volatile double klToBase = Double.NaN;
    private final java.util.Map<String, double[]> drift = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile double tiedShare = Double.NaN;
    private volatile double heldOutMajority = Double.NaN;
    private final double[] raw = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
    private final double[] shaped = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};

    /**
     * Registers the run's meters on {@code registry}. Gauges hold this object strongly, so that the final values
     * are still served after the Coordinator has stopped.
     */
    public CoordinatorMetrics(MeterRegistry registry, long iterationsDone, int iterations, Tallies tallies) {
        this.registry = registry;
        this.iteration = iterationsDone;
        this.tallies = tallies;
        gauge(registry, "es_iteration", "iterations committed (updates applied to the master)", m -> m.iteration);
        track(Gauge.builder("es_iterations_target", () -> iterations).description("iterations the run will make")
                .register(registry));
        String[] stats = {"mean", "max", "min", "std"};
        for (int i = 0; i < stats.length; i++) {
            int k = i;
            track(Gauge.builder("es_reward_" + stats[i], this, m -> m.raw[k]).strongReference(true)
                    .tag("kind", "raw")
                    .description(stats[i] + " of the population's rewards in the last iteration").register(registry));
            track(Gauge.builder("es_reward_" + stats[i], this, m -> m.shaped[k]).strongReference(true)
                    .tag("kind", "shaped")
                    .description(stats[i] + " of the shaped rewards (the update's coefficients)").register(registry));
        }
        gauge(registry, "es_update_norm", "L2 norm of the last ES step alpha/N sum z_n eps_n", m -> m.updateNorm);
        gauge(registry, "es_member_evaluations_per_second", "population members evaluated per second, last iteration",
                m -> m.evaluationsPerSecond);
        gauge(registry, "es_checkpoint_bytes", "size of the last checkpoint written", m -> m.checkpointBytes);
        gauge(registry, "es_heldout_accuracy", "held-out accuracy at the last in-run evaluation", m -> m.heldOutAccuracy);
        gauge(registry, "es_heldout_reward_mean", "held-out mean reward at the last in-run evaluation",
                m -> m.heldOutReward);
        gauge(registry, "es_heldout_best_accuracy", "best held-out accuracy so far (weights kept in best/)",
                m -> m.heldOutBest);
        gauge(registry, "es_heldout_pass_at_k", "held-out pass@k at the last in-run evaluation, k = eval.samples "
                + "(NaN without sampled evaluation)", m -> m.heldOutPassAtK);
        gauge(registry, "es_heldout_majority_accuracy", "held-out maj@k (majority vote over eval.samples answers) at "
                + "the last in-run evaluation", m -> m.heldOutMajority);
        track(Gauge.builder("es_evaluators_active", tallies, Tallies::evaluatorsActive).strongReference(true)
                .description("evaluators the coordinator is working with").register(registry));
        track(FunctionCounter.builder("es_members_reissued", tallies, Tallies::reissued)
                .description("members issued again (evaluator lost or deadline missed)").register(registry));
        track(FunctionCounter.builder("es_results_stale", tallies, Tallies::stale)
                .description("results for an iteration already closed, ignored").register(registry));
        track(FunctionCounter.builder("es_results_duplicate", tallies, Tallies::duplicates)
                .description("results for a member already answered, ignored").register(registry));
        track(FunctionCounter.builder("es_results_unissued", tallies, Tallies::unissued)
                .description("results from an evaluator the work was not issued to, ignored").register(registry));
        membersEvaluated = track(Counter.builder("es_members_evaluated").description("member results accepted")
                .register(registry));
        gauge(registry, "es_kl_to_base", "mean per-token KL(current || base) on eval.kl-prompts held-out prompts at "
                + "the last held-out round, in nats", m -> m.klToBase);
        gauge(registry, "es_rewards_distinct", "different rewards in the last iteration's population (1: no signal)",
                m -> m.distinctRewards);
        gauge(registry, "es_rewards_tied_share", "share of the last iteration's members tied with its most common "
                + "reward", m -> m.tiedShare);
        updatesSkipped = track(Counter.builder("es_updates_skipped")
                .description("iterations without signal (every reward the same): their update was skipped")
                .register(registry));
        membersFailed = track(Counter.builder("es_members_failed")
                .description("members without a finite reward (counted as the worst)").register(registry));
        iterationSeconds = track(Timer.builder("es_iteration_duration").description("wall time of an iteration")
                .register(registry));
        checkpointSeconds = track(Timer.builder("es_checkpoint_duration").description("time to write a checkpoint")
                .register(registry));
        messageSeconds = track(Timer.builder("es_coordinator_busy").tag("work", "messages")
                .description("coordinator time handling work requests and member results").register(registry));
        updateSeconds = track(Timer.builder("es_coordinator_busy").tag("work", "updates")
                .description("coordinator time committing updates (journal, master update, checkpoints)")
                .register(registry));
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<CoordinatorMetrics> f) {
        track(Gauge.builder(name, this, f).strongReference(true).description(description).register(registry));
    }

    /** Records a committed iteration. */
    public void iterationDone(Update update, double seconds, double stepNorm, int failed) {
        double[] rewards = update.rewards();
        fill(raw, rewards);
        fill(shaped, update.coefficients());
        updateNorm = stepNorm;
        distinctRewards = update.distinctRewards();
        tiedShare = update.tiedShare();
        if (update.skipped()) {
            updatesSkipped.increment();
        }
        evaluationsPerSecond = rewards.length / Math.max(seconds, 1e-9);
        membersEvaluated.increment(rewards.length);
        membersFailed.increment(failed);
        iterationSeconds.record(Duration.ofNanos((long) (seconds * 1e9)));
        iteration = update.iteration() + 1;
    }

    /** Records coordinator time spent in a handler: committing an update, or handling a message. */
    public void busy(boolean update, long nanos) {
        (update ? updateSeconds : messageSeconds).record(Duration.ofNanos(nanos));
    }

    /** Records a checkpoint write. */
    public void checkpoint(RunState.CheckpointWrite write) {
        checkpointSeconds.record(Duration.ofNanos((long) (write.seconds() * 1e9)));
        checkpointBytes = write.bytes();
    }

    /** Records an in-run held-out evaluation. */
    public void heldOut(RunEvent.HeldOut h) {
        heldOutAccuracy = h.accuracy();
        heldOutReward = h.meanReward();
        heldOutBest = h.bestAccuracy();
        heldOutPassAtK = h.samples() > 0 ? h.passAtK() : Double.NaN;
        heldOutMajority = h.samples() > 0 ? h.majority() : Double.NaN;
        klToBase = h.klToBase();
        drift(h.drift());
    }

    /** Records the weights' relative drift from the base model per tensor group (label to value). */
    public void drift(Map<String, Double> byGroup) {
        byGroup.forEach((group, value) -> drift.computeIfAbsent(group, g -> {
            double[] holder = {Double.NaN};
            track(Gauge.builder("es_weight_drift", holder, x -> x[0]).strongReference(true).tag("group", g)
                    .description("relative drift of the weights from the base model, ||w - w0|| / ||w0|| over the "
                            + "group's tensors, after the last iteration (or held-out round, for large models)")
                    .register(registry));
            return holder;
        })[0] = value);
    }

    /** mean, max, min, standard deviation of the finite values into {@code out}. */
    private static void fill(double[] out, double[] values) {
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        int n = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                sum += v;
                max = Math.max(max, v);
                min = Math.min(min, v);
                n++;
            }
        }
        double mean = n == 0 ? Double.NaN : sum / n;
        double squares = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                squares += (v - mean) * (v - mean);
            }
        }
        out[0] = mean;
        out[1] = n == 0 ? Double.NaN : max;
        out[2] = n == 0 ? Double.NaN : min;
        out[3] = n == 0 ? Double.NaN : Math.sqrt(squares / n);
    }

    private <M extends Meter> M track(M meter) {
        meters.add(meter);
        return meter;
    }

    /** Removes this object's meters (a re-created actor registers fresh ones bound to its own state). */
    @Override
    public void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
