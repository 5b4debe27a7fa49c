package dev.esactors.actors.bench;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import dev.esactors.actors.evaluator.Evaluator;
import dev.esactors.actors.evaluator.NodeUpdates;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.actors.wire.EvaluatorProtocol;
import dev.esactors.actors.wire.PromptRewards;

import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * An evaluator without a model, for measuring coordination at scale: it speaks the Evaluator protocol to the
 * Coordinator, but a member's "evaluation" is a wait drawn from a seeded log-normal distribution and its reward a
 * seeded share of right answers in a batch (an outcome reward). It counts the serialized bytes of every protocol
 * message it receives and sends (as jackson-cbor would put them on the wire between nodes); evaluators of one
 * simulated node share that node's update log, as real ones do.
 */
public final class SimulatedEvaluator extends AbstractBehavior<Object> {

    /** Bytes of serialized protocol messages, summed over all simulated evaluators. */
    public static final class Wire {
        public final LongAdder workBytes = new LongAdder();
        public final LongAdder catchUpBytes = new LongAdder();
        /** Protocol messages between the coordinator and the evaluators, either way. */
        public final LongAdder messages = new LongAdder();
        private final Map<Long, LongAccumulator> lastResult = new ConcurrentHashMap<>();
        private final Map<Long, LongAccumulator> firstStart = new ConcurrentHashMap<>();
        private final Map<Long, LongAccumulator> allStarted = new ConcurrentHashMap<>();

        private static LongAccumulator max(Map<Long, LongAccumulator> m, long iteration) {
            return m.computeIfAbsent(iteration, i -> new LongAccumulator(Math::max, Long.MIN_VALUE));
        }

        /**
         * The iteration boundary in ms, averaged over iterations 1..: from the last result of t-1 to the first
         * evaluator starting work of t ({@code all} false), or to the last evaluator starting its first work of t.
         */
        public double boundaryMillis(boolean all, int iterations) {
            double sum = 0;
            int n = 0;
            for (long t = 1; t < iterations; t++) {
                LongAccumulator end = lastResult.get(t - 1);
                LongAccumulator start = all ? allStarted.get(t) : firstStart.get(t);
                if (end != null && start != null) {
                    sum += ((all ? start.get() : -start.get()) - end.get()) / 1e6;
                    n++;
                }
            }
            return n == 0 ? Double.NaN : sum / n;
        }
    }

    // Its own messages besides the Evaluator protocol (which is sealed to the real Evaluator's messages).
    private record Done(EvaluatorProtocol.Work work) {
    }

    private record Listing(Receptionist.Listing listing) {
    }

    /** Prompts per member behind a simulated reward. */
    private static final int BATCH = 16;
    // a real CPU evaluator's kernels (Torch.kernels()), the same for all: requests carry their usual bytes, no warning
    private static final String KERNELS = "ATen AVX2, OpenBLAS Haswell";

    /** Prompts per member behind a simulated reward (the bench prints it). */
    public static int batch() {
        return BATCH;
    }

    private final String runId;
    private final String id;
    private final SplittableRandom random;
    private final Duration median;
    private final Wire wire;
    private final Serialization serialization;
    private final TimerScheduler<Object> timers;
    private final NodeUpdates.Log node;
    private final String nodeName;
    private final long fingerprint;
    private final boolean perPrompt;
    private ActorRef<CoordinatorProtocol.Command> coordinator;
    private long applied;
    private long started = -1; // the last iteration this evaluator started work of

    private SimulatedEvaluator(ActorContext<Object> context, TimerScheduler<Object> timers,
                               String runId, String id, long seed, Duration median, Wire wire, NodeUpdates.Log node,
                               String nodeName, long fingerprint, boolean perPrompt) {
        super(context);
        this.fingerprint = fingerprint;
        this.perPrompt = perPrompt;
        this.node = node;
        this.nodeName = nodeName;
        this.timers = timers;
        this.runId = runId;
        this.id = id;
        this.random = new SplittableRandom(seed);
        this.median = median;
        this.wire = wire;
        this.serialization = SerializationExtension.get(context.getSystem());
        ActorRef<Receptionist.Listing> adapter = context.messageAdapter(Receptionist.Listing.class, Listing::new);
        context.getSystem().receptionist().tell(Receptionist.subscribe(CoordinatorProtocol.key(runId), adapter));
    }

    /**
     * A simulated evaluator of run {@code runId} (config {@code fingerprint}) on a simulated node whose evaluators
     * share {@code node}; member times are log-normal around {@code median}.
     */
    public static Behavior<Object> create(String runId, String id, long seed, Duration median, Wire wire,
                                          NodeUpdates.Log node, String nodeName, long fingerprint,
                                          boolean perPrompt) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new SimulatedEvaluator(context, timers,
                runId, id, seed, median, wire, node, nodeName, fingerprint, perPrompt)));
    }

    @Override
    public Receive<Object> createReceive() {
        return newReceiveBuilder()
                .onMessage(Listing.class, this::onListing)
                .onMessage(EvaluatorProtocol.CatchUp.class, this::onCatchUp)
                .onMessage(EvaluatorProtocol.UpdatePushed.class, this::onPushed)
                .onMessage(EvaluatorProtocol.Work.class, this::onWork)
                .onMessage(Done.class, this::onDone)
                .onMessage(EvaluatorProtocol.Refused.class, r -> Behaviors.stopped())
                .onMessage(EvaluatorProtocol.Finished.class, f -> Behaviors.stopped())
                .build();
    }

    private Behavior<Object> onListing(Listing message) {
        var found = message.listing().getServiceInstances(CoordinatorProtocol.key(runId));
        if (!found.isEmpty() && coordinator == null) {
            coordinator = found.iterator().next();
            requestWork();
        }
        return this;
    }

    private Behavior<Object> onCatchUp(EvaluatorProtocol.CatchUp catchUp) {
        wire.catchUpBytes.add(bytes(catchUp));
        wire.messages.increment();
        // No model to update: the node only needs to know that it has them (placeholders stand in for updates).
        node.add(catchUp.from(), java.util.Collections.nCopies(catchUp.rewards().size(), null));
        applied = node.known();
        requestWork();
        return this;
    }

    private Behavior<Object> onPushed(EvaluatorProtocol.UpdatePushed pushed) {
        wire.catchUpBytes.add(bytes(pushed));
        wire.messages.increment();
        node.add(pushed.iteration(), java.util.Collections.singletonList(null));
        applied = node.known();
        return this;
    }

    private Behavior<Object> onWork(EvaluatorProtocol.Work work) {
        wire.workBytes.add(bytes(work));
        wire.messages.increment();
        if (work.iteration() > started) {
            started = work.iteration();
            long now = System.nanoTime();
            Wire.max(wire.firstStart, started).accumulate(-now); // the earliest start: max of negated times
            Wire.max(wire.allStarted, started).accumulate(now);
        }
        applied = Math.max(applied, Math.min(work.iteration(), node.known()));
        long nanos = (long) (median.toNanos() * Math.exp(0.5 * random.nextGaussian()));
        timers.startSingleTimer(new Done(work), Duration.ofNanos(nanos));
        return this;
    }

    private Behavior<Object> onDone(Done done) {
        double[] rewards = new double[done.work().count()];
        double[][] rows = new double[rewards.length][];
        for (int k = 0; k < rewards.length; k++) {
            rows[k] = outcomes();
            rewards[k] = java.util.Arrays.stream(rows[k]).average().orElse(0);
        }
        CoordinatorProtocol.MemberResults result = new CoordinatorProtocol.MemberResults(done.work().iteration(), done.work().first(),
                rewards, getContext().getSelf().narrow(), perPrompt ? PromptRewards.encode(rows) : null);
        wire.workBytes.add(bytes(result));
        wire.messages.increment();
        Wire.max(wire.lastResult, result.iteration()).accumulate(System.nanoTime());
        coordinator.tell(result);
        requestWork();
        return this;
    }

    /** Like the tasks' outcome rewards: right (1) or wrong (0) on each of a batch of {@value #BATCH} prompts. */
    private double[] outcomes() {
        double[] right = new double[BATCH];
        for (int b = 0; b < BATCH; b++) {
            right[b] = random.nextDouble() < 0.3 ? 1 : 0;
        }
        return right;
    }

    private void requestWork() {
        CoordinatorProtocol.RequestWork request = new CoordinatorProtocol.RequestWork(getContext().getSelf().narrow(), id, "cpu",
                applied, node.known(), nodeName, fingerprint, KERNELS);
        wire.workBytes.add(bytes(request));
        wire.messages.increment();
        coordinator.tell(request);
    }

    private int bytes(Object message) {
        return serialization.serialize(message).get().length;
    }
}
