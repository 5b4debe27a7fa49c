package dev.esactors.actors;

import dev.esactors.train.RunEvent;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.PostStop;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.sharding.typed.ShardingEnvelope;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.esactors.train.config.RunConfig;
import dev.esactors.actors.metrics.CoordinatorMetrics;
import dev.esactors.train.BestWeights;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.RunReport;
import dev.esactors.train.RunDirectory;
import dev.esactors.core.es.Checkpoint;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.es.HfExport;
import dev.esactors.core.es.Member;
import dev.esactors.core.es.Update;
import dev.esactors.core.torch.DType;
import io.micrometer.core.instrument.MeterRegistry;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Owns a run's parameter state (iteration, fp32 master, update journal, checkpoints) and its seed schedule.
 * Evaluators pull work: each request is answered with the updates the evaluator lacks, or the next member of the
 * current iteration, or later when a member frees up. Results are keyed by (iteration, member): stale and duplicate
 * ones are ignored and counted; a member whose evaluator leaves or misses its deadline is issued again. When all
 * N results are in, a {@link Reducer} shapes them and the update is journalled, applied and broadcast on request.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

    /** The Coordinator's protocol. */
    public sealed interface Command {
    }

    /**
     * An evaluator asks for work.
     *
     * @param evaluator   where to send work
     * @param evaluatorId a readable name (node and index)
     * @param deviceType  cpu or cuda: a run never mixes them
     * @param applied     updates the evaluator's replica has applied
     * @param known       updates the evaluator's node has (shared by its evaluators, {@link NodeUpdates})
     * @param node        the evaluator's node (its evaluators share one catch-up)
     * @param fingerprint {@link #fingerprint} of the evaluator's run config: seeds, batches and updates are derived
     *                    from it on both sides, so a coordinator refuses evaluators of another config
     */
    public record RequestWork(ActorRef<Evaluator.Command> evaluator, String evaluatorId, String deviceType,
                              long applied, long known, String node, long fingerprint)
            implements Command, CborSerializable {

        RequestWork knowing(long more) {
            return new RequestWork(evaluator, evaluatorId, deviceType, applied, Math.max(known, more), node,
                    fingerprint);
        }
    }

    /** 64 bits of the hash of what makes a run's results: the ES config, the task and the model. */
    public static long fingerprint(RunConfig config) {
        return java.nio.ByteBuffer.wrap(java.util.HexFormat.of().parseHex(
                dev.esactors.core.io.Sha256.of(config.es().hash() + "|" + config.identity()).substring(0, 16))).getLong();
    }

    /**
     * The rewards of a work group.
     *
     * @param iteration the iteration it was evaluated for
     * @param first     the group's first member
     * @param rewards   raw rewards of members first, first + 1, ... (NaN where an evaluation failed)
     */
    public record MemberResults(@JsonProperty("i") long iteration, @JsonProperty("f") int first,
                                @JsonProperty("r") double[] rewards) implements Command, CborSerializable {
        public MemberResults {
            rewards = rewards.clone();
        }

        @Override
        public double[] rewards() {
            return rewards.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MemberResults r && iteration == r.iteration && first == r.first
                    && java.util.Arrays.equals(rewards, r.rewards);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(iteration, first, java.util.Arrays.hashCode(rewards));
        }

        @Override
        public String toString() {
            return "MemberResults[iteration=" + iteration + ", first=" + first + ", rewards="
                    + java.util.Arrays.toString(rewards) + "]";
        }
    }

    /**
     * The result of one chunk of an evaluation round.
     *
     * @param iteration   the weights it was scored with (updates applied)
     * @param dataset     index into eval.datasets
     * @param chunk       chunk index
     * @param tally       the chunk's sums (empty if it failed)
     * @param error       why it failed, or empty
     * @param evaluatorId who scored it
     */
    public record EvalResult(long iteration, int dataset, int chunk, Evaluation.Tally tally, String error,
                             String evaluatorId) implements Command, CborSerializable {
    }

    /** Starts the sharded coordinator entity, or keeps it alive: coordinator nodes send it every few seconds. */
    public enum Wake implements Command, CborSerializable {
        INSTANCE
    }

    /** The Reducer's update for the current iteration (local). */
    record Reduced(Update update) implements Command {
    }

    private record EvaluatorGone(ActorRef<Evaluator.Command> evaluator) implements Command {
    }

    private enum CheckDeadlines implements Command {
        INSTANCE
    }

    private record Assignment(ActorRef<Evaluator.Command> evaluator, long deadline) {
    }

    /** The receptionist key under which the coordinator of run {@code runId} registers. */
    public static ServiceKey<Command> key(String runId) {
        return ServiceKey.create(Command.class, "es-coordinator-" + runId);
    }

    /** The sharded entity type: one coordinator entity per run id, hosted on a node with the coordinator role. */
    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "es-coordinator");

    /**
     * Registers the coordinator entity type with cluster sharding on this node. On a coordinator-role node the entity
     * may be hosted here: it opens the run directory (resuming from its checkpoints and journal) and reports to
     * {@code listener}; if its node is lost, sharding re-creates it on another coordinator node, which resumes the
     * same way. Other nodes get a proxy.
     */
    public static ActorRef<ShardingEnvelope<Command>> initSharding(ActorSystem<?> system, RunConfig config,
                                                                  ActorRef<RunEvent> listener, MeterRegistry registry) {
        return ClusterSharding.get(system).init(Entity.of(TYPE_KEY, entity -> Behaviors.setup(context -> {
            try {
                return create(config, RunDirectory.open(config, message -> listener.tell(new RunEvent.Note(message))),
                        listener, registry);
            } catch (RuntimeException e) {
                listener.tell(new RunEvent.RunFailed("cannot open run " + config.id() + ": " + e.getMessage()));
                return Behaviors.stopped();
            }
        })).withRole("coordinator").withEntityProps(Props.empty().withDispatcherFromConfig(
                "es-actors.blocking-dispatcher")));
    }

    /** The dispatcher for actors that block on LibTorch (model loading, evaluation, updates). */
    public static final DispatcherSelector BLOCKING = DispatcherSelector.fromConfig("es-actors.blocking-dispatcher");

    private final RunConfig config;
    private final EsRun run;
    private final ActorRef<RunEvent> listener;
    private final Duration deadline;
    private final Set<ActorRef<Evaluator.Command>> watched = new HashSet<>();
    private final Map<ActorRef<Evaluator.Command>, String> names = new HashMap<>();
    private final Map<ActorRef<Evaluator.Command>, RequestWork> idle = new LinkedHashMap<>();
    private final List<RewardCode> codes = new java.util.ArrayList<>();
    /** Per node, the evaluator fetching the updates up to an iteration for all of that node's evaluators. */
    private final Map<String, Fetch> fetching = new HashMap<>();
    /** Per node, requests waiting for the node's fetcher to bring the updates. */
    private final Map<String, List<RequestWork>> waitingForNode = new HashMap<>();
    private final long fingerprint;

    private record Fetch(ActorRef<Evaluator.Command> evaluator, long until) {
    }
    private String runDevice;
    private List<Member> members;
    private int groupSize;
    private Deque<Integer> pending;
    private Map<Integer, Assignment> inFlight;
    private boolean[] accepted;
    private ActorRef<Reducer.Command> reducer;
    private long iterationStart;
    private final Tally tally = new Tally();
    private final CoordinatorMetrics metrics;
    private EvalDatasets evalData;
    private EvalRound round;
    private final Map<EvalRound.Chunk, Assignment> evalInFlight = new HashMap<>();
    private List<Evaluation.Summary> baseSummaries;
    private List<FinalEvaluation.Row> finalRows;
    private long heldOutAt = -1;
    private final List<RunEvent.HeldOut> heldOutHistory = new java.util.ArrayList<>();
    private BestWeights best; // null until the first held-out round (or one saved before a restart)
    private boolean finished;

    /** The counts the metrics read at scrape time (from the HTTP thread, hence volatile; one writer). */
    private static final class Tally implements CoordinatorMetrics.Tallies {
        private volatile long reissued;
        private volatile long stale;
        private volatile long duplicates;
        private volatile int evaluatorsActive;

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

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, RunConfig config, EsRun run,
                        ActorRef<RunEvent> listener, MeterRegistry registry) {
        super(context);
        this.config = config;
        this.run = run;
        this.listener = listener;
        this.metrics = new CoordinatorMetrics(registry, run.nextIteration(), config.iterations(), tally);
        this.deadline = config.memberDeadline();
        this.runDevice = config.model().device();
        this.fingerprint = fingerprint(config);
        context.getSystem().receptionist().tell(Receptionist.register(key(config.id()), context.getSelf()));
        timers.startTimerWithFixedDelay(CheckDeadlines.INSTANCE, Duration.ofMillis(
                Math.max(50, Math.min(1000, deadline.toMillis() / 4))));
    }

    /**
     * A coordinator over {@code run} (already opened and resumed), reporting to {@code listener} and to the
     * meters it registers on {@code registry} (removed again when it stops).
     */
    public static Behavior<Command> create(RunConfig config, EsRun run, ActorRef<RunEvent> listener,
                                           MeterRegistry registry) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            Coordinator c = new Coordinator(context, timers, config, run, listener, registry);
            return c.startIterationOrFinish();
        }));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RequestWork.class, m -> timed(false, () -> onRequestWork(m)))
                .onMessage(MemberResults.class, m -> timed(false, () -> onResult(m)))
                .onMessage(EvalResult.class, this::onEvalResult)
                .onMessage(Reduced.class, m -> timed(true, () -> onReduced(m)))
                .onMessage(EvaluatorGone.class, this::onEvaluatorGone)
                .onMessage(CheckDeadlines.class, m -> onCheckDeadlines())
                .onMessage(Wake.class, m -> this)
                .onSignal(PostStop.class, signal -> {
                    release(); // stopped early (node shutdown, test): the journal is already durable
                    if (!finished) {
                        metrics.close(); // sharding may re-create the coordinator on this node, with fresh meters
                    }
                    return this;
                })
                .build();
    }

    /** Runs a handler and adds its time to the coordinator's busy meters (messages, or committing updates). */
    private Behavior<Command> timed(boolean update, java.util.function.Supplier<Behavior<Command>> handler) {
        long start = System.nanoTime();
        try {
            return handler.get();
        } finally {
            metrics.busy(update, System.nanoTime() - start);
        }
    }

    private Behavior<Command> startIterationOrFinish() {
        long t = run.nextIteration();
        EvalRound due = dueEvaluation(t);
        if (due != null) {
            // The weights stay at t until the round is done: evaluators at t take its chunks as they take members.
            round = due;
            serveParked();
            return this;
        }
        if (t >= config.iterations()) {
            return finish();
        }
        members = run.config().schedule().members(t, run.config().populationSize(), run.config().antithetic());
        // Work goes out in fixed groups of members (one member each at full rank): a group is one batched pass.
        groupSize = run.config().perturbation().membersPerPass();
        int groups = (members.size() + groupSize - 1) / groupSize;
        pending = new ArrayDeque<>();
        for (int g = 0; g < groups; g++) {
            pending.add(g);
        }
        inFlight = new HashMap<>();
        accepted = new boolean[groups];
        reducer = getContext().spawn(Reducer.create(run.config(), t, members, getContext().getSelf()), "reducer-" + t);
        iterationStart = System.nanoTime();
        serveParked();
        return this;
    }

    /** The evaluation round due before iteration {@code t}, if any: base at 0, held-out every K, final at the end. */
    private EvalRound dueEvaluation(long t) {
        if (config.evalDatasets().isEmpty()) {
            return null;
        }
        if (evalData == null) {
            evalData = new EvalDatasets(config);
            baseSummaries = RunDirectory.readBaseEvaluation(config);
            best = BestWeights.read(config, evalData.path(evalData.heldOut())).orElse(null);
        }
        List<Integer> all = java.util.stream.IntStream.range(0, evalData.count()).boxed().toList();
        if (t == 0 && baseSummaries == null) {
            return new EvalRound(EvalRound.Purpose.BASE, t, all, evalData);
        }
        if (config.evalEvery() > 0 && t > 0 && t % config.evalEvery() == 0 && heldOutAt != t) {
            return new EvalRound(EvalRound.Purpose.HELD_OUT, t, List.of(evalData.heldOut()), evalData);
        }
        if (t >= config.iterations() && finalRows == null) {
            return new EvalRound(EvalRound.Purpose.FINAL, t, all, evalData);
        }
        return null;
    }

    private void serveParked() {
        List<RequestWork> waiting = List.copyOf(idle.values());
        idle.clear();
        waiting.forEach(this::serve);
    }

    private Behavior<Command> onRequestWork(RequestWork request) {
        if (!request.deviceType().equals(runDevice)) {
            request.evaluator().tell(new Evaluator.Refused("run " + config.id() + " uses device type " + runDevice
                    + "; evaluator " + request.evaluatorId() + " is " + request.deviceType()
                    + " (CPU and CUDA noise differ, so a run never mixes them)"));
            return this;
        }
        if (request.fingerprint() != fingerprint) {
            request.evaluator().tell(new Evaluator.Refused("evaluator " + request.evaluatorId() + " runs another "
                    + "configuration of run " + config.id() + " (its es, task or model settings differ from the "
                    + "coordinator's): start every node with the same run file"));
            return this;
        }
        if (watched.add(request.evaluator())) {
            tally.evaluatorsActive = watched.size();
            getContext().watchWith(request.evaluator(), new EvaluatorGone(request.evaluator()));
            names.put(request.evaluator(), request.evaluatorId());
            listener.tell(new RunEvent.Note("evaluator " + request.evaluatorId() + " joined at iteration "
                    + run.nextIteration() + " (" + watched.size() + " active)"));
        }
        serve(request);
        return this;
    }

    /** Answers a request now if it can: catch-up updates, or the next pending member; else parks it. */
    private void serve(RequestWork request) {
        long t = run.nextIteration();
        if (request.applied() > t) {
            request.evaluator().tell(new Evaluator.Refused("evaluator " + request.evaluatorId() + " has applied "
                    + request.applied() + " updates but the run is at " + t + ": it belongs to another run state"));
            return;
        }
        if (request.known() >= t) {
            releaseWaiting(request.node(), request.known()); // its node has the updates now
        } else if (request.applied() < t) {
            Fetch fetch = fetching.get(request.node());
            if (fetch != null && fetch.until() >= t && !fetch.evaluator().equals(request.evaluator())) {
                // Another evaluator of this node is bringing the updates: serve this one once the node has them.
                waitingForNode.computeIfAbsent(request.node(), n -> new java.util.ArrayList<>()).add(request);
                return;
            }
            // Only what the node lacks: its other evaluators find them in the node's shared log.
            fetching.put(request.node(), new Fetch(request.evaluator(), t));
            long from = Math.min(request.known(), t);
            request.evaluator().tell(new Evaluator.CatchUp(from, rewardCodes(from, t)));
            return;
        }
        if (round != null) {
            EvalRound.Chunk chunk = round.poll();
            if (chunk == null) {
                idle.put(request.evaluator(), request);
                return;
            }
            evalInFlight.put(chunk, new Assignment(request.evaluator(), System.nanoTime() + deadline.toNanos()));
            request.evaluator().tell(new Evaluator.EvalWork(t, chunk.dataset(), chunk.index()));
            return;
        }
        Integer group = pending == null ? null : pending.poll();
        if (group == null) {
            idle.put(request.evaluator(), request);
            return;
        }
        inFlight.put(group, new Assignment(request.evaluator(), System.nanoTime() + deadline.toNanos()));
        int first = group * groupSize;
        request.evaluator().tell(new Evaluator.Work(t, first, Math.min(groupSize, members.size() - first)));
    }

    /** Serves the requests that waited for {@code node}'s updates, which it now has up to {@code known}. */
    private void releaseWaiting(String node, long known) {
        List<RequestWork> waiting = waitingForNode.remove(node);
        Fetch fetch = fetching.get(node);
        if (fetch != null && fetch.until() <= known) {
            fetching.remove(node);
        }
        if (waiting != null) {
            waiting.forEach(w -> serve(w.knowing(known)));
        }
    }

    /** The compact updates from..t-1, encoded once each. */
    private List<RewardCode> rewardCodes(long from, long t) {
        List<Update> updates = run.updates();
        while (codes.size() < t) {
            codes.add(RewardCode.of(updates.get(codes.size()).rewards()));
        }
        return codes.subList((int) from, (int) t);
    }

    private Behavior<Command> onResult(MemberResults result) {
        int first = result.first();
        double[] rewards = result.rewards();
        if (members == null || result.iteration() != run.nextIteration() || first < 0 || first >= members.size()
                || first % groupSize != 0 || rewards.length != Math.min(groupSize, members.size() - first)) {
            tally.stale++;
            return this;
        }
        int group = first / groupSize;
        if (accepted[group]) {
            tally.duplicates++;
            return this;
        }
        accepted[group] = true;
        inFlight.remove(group);
        pending.remove(group); // it may have been queued again after a missed deadline
        for (int k = 0; k < rewards.length; k++) {
            reducer.tell(new Reducer.Result(first + k, rewards[k]));
        }
        return this;
    }

    private Behavior<Command> onReduced(Reduced reduced) {
        Update update = reduced.update();
        var before = run.lastCheckpoint();
        run.commit(update);
        double seconds = (System.nanoTime() - iterationStart) / 1e9;
        metrics.iterationDone(update, seconds, run.replica().lastStepNorm(),
                Update.failedCount(update.rewards()));
        recordCheckpoint(before);
        double[] rewards = update.rewards();
        double max = Double.NEGATIVE_INFINITY;
        for (double r : rewards) {
            if (Double.isFinite(r)) {
                max = Math.max(max, r);
            }
        }
        listener.tell(new RunEvent.IterationDone(update.iteration(), config.iterations(), finiteMean(rewards), max,
                Update.failedCount(rewards), rewards.length / Math.max(seconds, 1e-9), tally.duplicates,
                tally.stale, tally.reissued));
        return startIterationOrFinish();
    }

    private Behavior<Command> onEvalResult(EvalResult result) {
        EvalRound.Chunk chunk = new EvalRound.Chunk(result.dataset(), result.chunk());
        if (round == null || result.iteration() != round.iteration()) {
            tally.stale++;
            return this;
        }
        if (!round.accept(chunk, result.tally(), result.evaluatorId())) {
            tally.duplicates++;
            return this;
        }
        if (!result.error().isEmpty()) {
            // A chunk that cannot be scored (bad data, a throwing reward) would fail the same way anywhere.
            listener.tell(new RunEvent.Note("evaluation chunk " + result.chunk() + " of "
                    + evalData.path(result.dataset()) + " failed on " + result.evaluatorId() + ": " + result.error() + "; its items are left out"));
        }
        evalInFlight.remove(chunk);
        return round.complete() ? completeRound() : this;
    }

    private Behavior<Command> completeRound() {
        EvalRound done = round;
        round = null;
        evalInFlight.clear();
        listener.tell(new RunEvent.Note(String.format(java.util.Locale.ROOT,
                "evaluated %s weights (iteration %d): %d chunk(s) of %d item(s) scored by %d evaluator(s) in %.1f s",
                done.purpose().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), done.iteration(),
                done.chunks(), config.evalBatch(), done.scorers(), done.seconds())));
        switch (done.purpose()) {
            case BASE -> {
                baseSummaries = done.datasets().stream().map(d -> done.summary(d, "base")).toList();
                RunDirectory.writeBaseEvaluation(config, baseSummaries);
            }
            case HELD_OUT -> heldOut(done.summary(evalData.heldOut(), "iteration"));
            case FINAL -> {
                List<Evaluation.Summary> base = baseSummaries != null ? baseSummaries
                        : FinalEvaluation.baseLocally(config); // a run resumed from before base rounds existed
                finalRows = new java.util.ArrayList<>();
                for (int d : done.datasets()) {
                    finalRows.add(new FinalEvaluation.Row(evalData.path(d), base.get(d), done.summary(d, "ES")));
                }
            }
        }
        return startIterationOrFinish();
    }

    /**
     * Records a held-out score, and keeps the weights in best/ when they are the best so far (accuracy, then mean
     * reward; a restarted coordinator compares with the choice saved there).
     */
    private void heldOut(Evaluation.Summary s) {
        heldOutAt = run.nextIteration();
        Path dataset = evalData.path(evalData.heldOut());
        if (best == null || best.beatenBy(s.accuracy(), s.meanReward())) {
            run.checkpointTo(BestWeights.dir(config));
            best = new BestWeights(run.nextIteration(), dataset, s.accuracy(), s.meanReward());
            best.save(config);
        }
        metrics.heldOut(s.accuracy(), s.meanReward(), best.accuracy());
        RunEvent.HeldOut event = new RunEvent.HeldOut(run.nextIteration(), dataset, s.accuracy(),
                s.meanReward(), best.accuracy(), best.iteration());
        heldOutHistory.add(event);
        listener.tell(event);
    }

    /** Feeds the checkpoint metrics if the last step wrote one (the checkpoint record changed). */
    private void recordCheckpoint(java.util.Optional<EsRun.CheckpointWrite> before) {
        run.lastCheckpoint().filter(c -> before.isEmpty() || c != before.get()).ifPresent(metrics::checkpoint);
    }

    private Behavior<Command> onEvaluatorGone(EvaluatorGone gone) {
        // A node's fetcher that left brings nothing: its node's waiting requests ask again (one fetches anew).
        List<String> stranded = fetching.entrySet().stream()
                .filter(e -> e.getValue().evaluator().equals(gone.evaluator())).map(Map.Entry::getKey).toList();
        for (String node : stranded) {
            fetching.remove(node);
            List<RequestWork> waiting = waitingForNode.remove(node);
            if (waiting != null) {
                waiting.stream().filter(w -> !w.evaluator().equals(gone.evaluator())).forEach(this::serve);
            }
        }
        waitingForNode.values().forEach(list -> list.removeIf(w -> w.evaluator().equals(gone.evaluator())));
        watched.remove(gone.evaluator());
        tally.evaluatorsActive = watched.size();
        idle.remove(gone.evaluator());
        long before = tally.reissued;
        reissue(a -> a.evaluator().equals(gone.evaluator()));
        listener.tell(new RunEvent.Note("evaluator " + names.remove(gone.evaluator()) + " left; "
                + (tally.reissued - before) + " member(s) issued again (" + watched.size() + " active)"));
        return this;
    }

    private Behavior<Command> onCheckDeadlines() {
        long now = System.nanoTime();
        reissue(a -> a.deadline() < now);
        return this;
    }

    /** Puts the matching in-flight members and evaluation chunks back at the head of their queues. */
    private void reissue(java.util.function.Predicate<Assignment> which) {
        boolean any = false;
        if (inFlight != null) {
            for (Iterator<Map.Entry<Integer, Assignment>> it = inFlight.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Integer, Assignment> e = it.next();
                if (which.test(e.getValue())) {
                    it.remove();
                    pending.addFirst(e.getKey());
                    tally.reissued++;
                    any = true;
                }
            }
        }
        for (Iterator<Map.Entry<EvalRound.Chunk, Assignment>> it = evalInFlight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<EvalRound.Chunk, Assignment> e = it.next();
            if (which.test(e.getValue())) {
                it.remove();
                round.requeue(e.getKey());
                tally.reissued++;
                any = true;
            }
        }
        if (any) {
            serveParked();
        }
    }

    private Behavior<Command> finish() {
        finished = true; // the meters stay, so that the final values are scraped
        try {
            var before = run.lastCheckpoint();
            Path checkpoint = run.checkpoint();
            recordCheckpoint(before);
            Map<String, Tensor> finalWeights = run.replica().master();
            List<FinalEvaluation.Row> evaluation = finalRows == null ? List.of() : finalRows;
            if (config.finalWeights() == RunConfig.FinalWeights.BEST) {
                Checkpoint chosen = chosenWeights();
                if (chosen != null) {
                    finalWeights = chosen.master();
                    evaluation = scoreChosen(chosen, evaluation);
                }
            }
            Path exported = config.dir().resolve("export");
            HfExport.write(exported, BaseModel.dir(config), finalWeights, DType.parseWorking(config.model().dtype()));
            Path report = RunReport.write(config, run.updates(), evaluation, heldOutHistory, config.dir());
            getContext().getLog().info("run {} finished at iteration {}; checkpoint {}", config.id(),
                    run.nextIteration(), checkpoint);
            listener.tell(new RunEvent.RunFinished(run.nextIteration(), run.replica().masterHash(), config.dir(),
                    exported, report, evaluation));
        } catch (RuntimeException e) {
            listener.tell(new RunEvent.RunFailed("finishing the run failed: " + e.getMessage()));
        }
        idle.keySet().forEach(e -> e.tell(Evaluator.Finished.INSTANCE));
        watched.forEach(e -> e.tell(Evaluator.Finished.INSTANCE));
        release(); // explicitly: a run already complete at start-up stops before any PostStop handler exists
        return Behaviors.stopped();
    }

    /** The checkpoint in best/ for eval.final-weights = best, or null (with a note) when there is none to use. */
    private Checkpoint chosenWeights() {
        if (best == null) {
            listener.tell(new RunEvent.Note("eval.final-weights = best, but no held-out evaluation ran (eval.every "
                    + config.evalEvery() + ", " + config.iterations() + " iterations): the last weights are the result"));
            return null;
        }
        Optional<Checkpoint> chosen = BestWeights.load(config, run.configHash(),
                warning -> listener.tell(new RunEvent.Note(warning)));
        if (chosen.isEmpty()) {
            listener.tell(new RunEvent.Note("no intact checkpoint in " + BestWeights.dir(config)
                    + ": the last weights are the result"));
        }
        return chosen.orElse(null);
    }

    /**
     * The final table for the chosen weights, scored here chunk by chunk (the evaluators hold the last weights);
     * the last weights' scores, from the final round, go to a note.
     */
    private List<FinalEvaluation.Row> scoreChosen(Checkpoint chosen, List<FinalEvaluation.Row> last) {
        String label = "ES@" + chosen.iteration();
        List<Evaluation.Summary> scores = FinalEvaluation.locally(config, chosen.master(), label);
        List<Evaluation.Summary> base = last.size() == scores.size() ? last.stream().map(FinalEvaluation.Row::base).toList()
                : baseSummaries != null ? baseSummaries : FinalEvaluation.baseLocally(config);
        List<FinalEvaluation.Row> rows = new java.util.ArrayList<>();
        StringBuilder lastScores = new StringBuilder();
        for (int d = 0; d < scores.size(); d++) {
            rows.add(new FinalEvaluation.Row(evalData.path(d), base.get(d), scores.get(d)));
        }
        for (int d = 0; d < last.size(); d++) {
            lastScores.append(String.format(java.util.Locale.ROOT, "%s %s %.1f%%", d == 0 ? "" : ",",
                    evalData.path(d).getFileName(), 100 * last.get(d).tuned().accuracy()));
        }
        listener.tell(new RunEvent.Note(String.format(java.util.Locale.ROOT,
                "final weights: the best on %s (iteration %d of %d, accuracy %.1f%%), in export/; the last weights "
                        + "scored%s", best.dataset().getFileName(), chosen.iteration(), run.nextIteration(),
                100 * best.accuracy(), lastScores)));
        return rows;
    }

    /** Closes the journal and the evaluation datasets' tokenizer; safe to call twice. */
    private void release() {
        if (evalData != null) {
            evalData.close();
        }
        run.close();
    }

    private static double finiteMean(double[] values) {
        double sum = 0;
        int n = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
