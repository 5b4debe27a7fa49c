package dev.esactors.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import dev.esactors.actors.metrics.CoordinatorMetrics;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.es.Update;
import dev.esactors.train.EvaluationSchedule;
import dev.esactors.train.RunCompletion;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalRound;
import dev.esactors.train.eval.WeightDrift;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Owns a run's parameter state (iteration, fp32 master, update journal, checkpoints) and its seed schedule, as one
 * behaviour per phase: evaluating t (member groups handed out, results deduplicated in one place), committing t
 * (the Reducer shapes the rewards; the update is journalled and pushed to one evaluator per node), an evaluation
 * round (chunks handed out like groups), finished (export and report). Evaluators pull work, and pull the updates
 * they lack when they lag or join late. Bookkeeping: {@link WorkQueue}, {@link IterationWork}, {@link NodeCatchUp},
 * {@link EvaluatorRoster}, the run library's {@link EvaluationSchedule} and {@link RunCompletion}.
 */
public final class Coordinator implements CoordinatorProtocol {

    /** The receptionist key under which the coordinator of run {@code runId} registers. */
    public static ServiceKey<Command> key(String runId) {
        return ServiceKey.create(Command.class, "es-coordinator-" + runId);
    }

    /** The dispatcher for actors that block on LibTorch (model loading, evaluation, updates). */
    public static final DispatcherSelector BLOCKING = DispatcherSelector.fromConfig("es-actors.blocking-dispatcher");

    /** 64 bits of the hash of what makes a run's results: the ES config, the task and the model. */
    public static long fingerprint(RunConfig config) {
        return CoordinatorProtocol.fingerprint(config);
    }

    /** An evaluator stopped or its node left (a death watch). */
    record EvaluatorGone(ActorRef<Evaluator.Command> evaluator) implements Command {
    }

    /** Time to issue again the work whose deadline passed. */
    enum CheckDeadlines implements Command {
        INSTANCE
    }

    private final ActorContext<Command> context;
    private final RunConfig config;
    private final EsRun run;
    private final ActorRef<RunEvent> listener;
    private final CoordinatorMetrics metrics;
    private final FaultCounts counts = new FaultCounts();
    private final EvaluatorRoster<ActorRef<Evaluator.Command>, RequestWork> roster = new EvaluatorRoster<>();
    private final NodeCatchUp<ActorRef<Evaluator.Command>> nodes = new NodeCatchUp<>();
    private final EncodedUpdates codes;
    private final EvaluationSchedule schedule;
    private final long fingerprint;
    private final long deadlineNanos;
    private final boolean driftEveryIteration; // else at held-out rounds only: it reads the base weights
    private boolean finished;

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, RunConfig config, EsRun run,
                        ActorRef<RunEvent> listener, MeterRegistry registry) {
        if (config.tokenBudget() > 0) { // the single-process loops count tokens; evaluators do not report them
            throw new IllegalArgumentException("run.token-budget needs a run in one process (--evaluators 0, or "
                    + "method = \"grpo\"), not the actors");
        }
        this.context = context;
        this.config = config;
        this.run = run;
        this.listener = listener;
        this.metrics = new CoordinatorMetrics(registry, run.nextIteration(), config.iterations(), counts);
        this.schedule = new EvaluationSchedule(config, run.nextIteration());
        this.codes = new EncodedUpdates(run::updates);
        this.fingerprint = fingerprint(config);
        this.driftEveryIteration = WeightDrift.everyIteration(run.replica().master());
        this.deadlineNanos = config.memberDeadline().toNanos();
        context.getSystem().receptionist().tell(Receptionist.register(key(config.id()), context.getSelf()));
        timers.startTimerWithFixedDelay(CheckDeadlines.INSTANCE, Duration.ofMillis(
                Math.max(50, Math.min(1000, config.memberDeadline().toMillis() / 4))));
    }

    /**
     * A coordinator over {@code run} (already opened and resumed), reporting to {@code listener} and to the meters it
     * registers on {@code registry} (removed again when it stops early).
     */
    public static Behavior<Command> create(RunConfig config, EsRun run, ActorRef<RunEvent> listener,
                                           MeterRegistry registry) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            Coordinator c;
            try {
                c = new Coordinator(context, timers, config, run, listener, registry);
            } catch (RuntimeException e) {
                run.close();
                listener.tell(new RunEvent.RunFailed("cannot start run " + config.id() + ": " + e.getMessage()));
                return Behaviors.stopped();
            }
            return c.next(c.schedule.due(run.nextIteration()));
        }));
    }

    // ---- phases ----

    /** The phase after the weights reached {@code t = run.nextIteration()}: a due round, iteration t, or the end. */
    private Behavior<Command> next(EvalRound due) {
        if (due != null) {
            return inRound(due);
        }
        if (run.nextIteration() >= config.iterations()) {
            return finish();
        }
        return evaluating(new IterationWork<>(run.config(), run.nextIteration()));
    }

    private Behavior<Command> evaluating(IterationWork<ActorRef<Evaluator.Command>> work) {
        Phase phase = Phase.of(work.queue(), g -> new Evaluator.Work(work.iteration(), work.first(g), work.count(g)));
        serveParked(phase);
        return phase(phase, Behaviors.receive(Command.class)
                .onMessage(MemberResults.class, r -> timed(false, () -> onResult(work, r))));
    }

    private Behavior<Command> onResult(IterationWork<ActorRef<Evaluator.Command>> work, MemberResults result) {
        switch (work.accept(result.iteration(), result.first(), result.rewards(), result.promptRows(),
                result.from())) {
            case STALE -> counts.stale++;
            case UNISSUED -> unissued(result.from(), "members from " + result.first() + " of iteration "
                    + result.iteration());
            case DUPLICATE -> counts.duplicates++;
            case ACCEPTED -> {
                if (work.complete()) {
                    int failed = Update.failedCount(work.rewards());
                    if (failed == work.members().size()) { // an update without signal would be journalled as one
                        return abort("iteration " + work.iteration() + ": all " + failed + " members failed (the "
                                + "evaluators' logs say why); the run stops before journalling it");
                    }
                    context.spawn(Reducer.create(run.config(), work.iteration(), work.members(), work.rewards(),
                            work.promptRewards(), context.getSelf()), "reducer-" + work.iteration());
                    return committing(work);
                }
            }
        }
        return Behaviors.same();
    }

    private Behavior<Command> committing(IterationWork<ActorRef<Evaluator.Command>> work) {
        return phase(Phase.NOTHING, Behaviors.receive(Command.class)
                .onMessage(MemberResults.class, r -> {
                    switch (work.accept(r.iteration(), r.first(), r.rewards(), r.promptRows(), r.from())) {
                        case STALE -> counts.stale++;
                        case UNISSUED -> unissued(r.from(), "members from " + r.first() + " of iteration "
                                + r.iteration());
                        default -> counts.duplicates++; // every group is in: a copy of one
                    }
                    return Behaviors.same();
                })
                .onMessage(Reduced.class, m -> timed(true, () -> commit(work, m.update()))));
    }

    /**
     * Journals the update and, once it is durable, pushes it to one evaluator per node and starts the next iteration
     * while the master applies it; a round or the end waits for the master.
     */
    private Behavior<Command> commit(IterationWork<ActorRef<Evaluator.Command>> work, Update update) {
        var before = run.lastCheckpoint();
        long following = update.iteration() + 1;
        EvalRound due = schedule.due(following);
        boolean iterationFollows = due == null && following < config.iterations();
        List<Behavior<Command>> started = new ArrayList<>(1);
        run.commit(update, () -> {
            if (due != null || iterationFollows) { // the end needs no evaluator to have the last update
                push(update.iteration());
            }
            if (iterationFollows) {
                started.add(evaluating(new IterationWork<>(run.config(), following)));
            }
        });
        double seconds = work.seconds();
        metrics.iterationDone(update, seconds, run.replica().lastStepNorm(), Update.failedCount(update.rewards()));
        // a held-out round due now measures these weights' drift itself (and sets the gauge from it)
        if (driftEveryIteration && (due == null || due.purpose() != EvalRound.Purpose.HELD_OUT)) {
            metrics.drift(WeightDrift.byLabel(BaseModel.dir(config), run.replica().master()));
        }
        run.lastCheckpoint().filter(c -> before.isEmpty() || c != before.get()).ifPresent(metrics::checkpoint);
        listener.tell(RunEvent.IterationDone.of(update, config.iterations(), seconds, counts.duplicates, counts.stale,
                counts.reissued));
        return started.isEmpty() ? next(due) : started.get(0);
    }

    /** Sends update {@code iteration} to one evaluator of every node that has all earlier ones. */
    private void push(long iteration) {
        List<ActorRef<Evaluator.Command>> targets = nodes.pushTargets(iteration);
        if (!targets.isEmpty()) {
            RewardCode code = codes.range(iteration, iteration + 1).get(0);
            targets.forEach(e -> e.tell(new Evaluator.UpdatePushed(iteration, code)));
        }
    }

    private Behavior<Command> inRound(EvalRound round) {
        RoundWork<ActorRef<Evaluator.Command>> work = new RoundWork<>(round);
        Phase phase = Phase.of(work.queue(), c -> new Evaluator.EvalWork(round.iteration(), c.dataset(), c.index()));
        serveParked(phase);
        return phase(phase, Behaviors.receive(Command.class)
                .onMessage(EvalResult.class, r -> onEvalResult(work, r)));
    }

    /** A result from an evaluator that was never issued its work: ignored, counted and logged. */
    private void unissued(ActorRef<Evaluator.Command> from, String what) {
        counts.unissued++;
        context.getLog().warn("ignored a result for {} from {}, which was not issued that work", what, from);
    }

    private Behavior<Command> onEvalResult(RoundWork<ActorRef<Evaluator.Command>> work, EvalResult result) {
        switch (work.accept(result.iteration(), result.dataset(), result.chunk(), result.tally(),
                result.evaluatorId(), result.from())) {
            case STALE -> counts.stale++;
            case UNISSUED -> unissued(result.from(), "evaluation chunk " + result.chunk() + " of dataset "
                    + result.dataset());
            case DUPLICATE -> counts.duplicates++;
            case ACCEPTED -> {
                if (!result.error().isEmpty()) {
                    // A chunk that cannot be scored (bad data, a throwing reward) would fail the same way anywhere.
                    listener.tell(new RunEvent.Note("evaluation chunk " + result.chunk() + " of "
                            + schedule.data().path(result.dataset()) + " failed on " + result.evaluatorId() + ": "
                            + result.error() + "; its items are left out"));
                }
            }
        }
        return work.complete() ? roundDone(work.round()) : Behaviors.same();
    }

    private Behavior<Command> roundDone(EvalRound round) {
        for (RunEvent event : schedule.completed(round, run.nextIteration(), run::checkpointTo,
                run.replica().master())) {
            if (event instanceof RunEvent.HeldOut h) {
                metrics.heldOut(h);
            }
            listener.tell(event);
        }
        return next(schedule.due(run.nextIteration()));
    }

    /** Stops the run on an error, journalling nothing more: its directory resumes from where it stands. */
    private Behavior<Command> abort(String reason) {
        finished = true;
        context.getLog().error("run {} stopped: {}", config.id(), reason);
        listener.tell(new RunEvent.RunFailed(reason));
        roster.evaluators().forEach(e -> e.tell(Evaluator.Finished.INSTANCE));
        release();
        return Behaviors.stopped();
    }

    private Behavior<Command> finish() {
        finished = true; // the meters stay, so that the final values are scraped
        try {
            var before = run.lastCheckpoint();
            RunEvent.RunFinished done = RunCompletion.finish(config, RunCompletion.trained(config, run), schedule,
                    listener::tell);
            run.lastCheckpoint().filter(c -> before.isEmpty() || c != before.get()).ifPresent(metrics::checkpoint);
            context.getLog().info("run {} finished at iteration {}", config.id(), run.nextIteration());
            listener.tell(done);
        } catch (RuntimeException e) {
            listener.tell(new RunEvent.RunFailed("finishing the run failed: " + e.getMessage()));
        }
        roster.evaluators().forEach(e -> e.tell(Evaluator.Finished.INSTANCE));
        release(); // explicitly: a run already complete at start-up stops before any PostStop handler exists
        return Behaviors.stopped();
    }

    // ---- what every phase does ----

    /** {@code specific}'s handlers, then the ones every phase shares; results of another phase are stale. */
    private Behavior<Command> phase(Phase phase, BehaviorBuilder<Command> specific) {
        return specific
                .onMessage(RequestWork.class, m -> timed(false, () -> onRequestWork(phase, m)))
                .onMessage(EvaluatorGone.class, m -> onEvaluatorGone(phase, m.evaluator()))
                .onMessage(CheckDeadlines.class, m -> reissued(phase, phase.reissueOverdue(System.nanoTime())))
                .onMessage(MemberResults.class, m -> stale())
                .onMessage(EvalResult.class, m -> stale())
                .onMessage(Reduced.class, m -> stale())
                .onMessage(Wake.class, m -> Behaviors.same())
                .onSignal(PostStop.class, signal -> {
                    release(); // stopped early (node shutdown, test): the journal is already durable
                    if (!finished) {
                        metrics.close(); // sharding may re-create the coordinator on this node, with fresh meters
                    }
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> stale() {
        counts.stale++;
        return Behaviors.same();
    }

    /** Runs a handler and adds its time to the coordinator's busy meters (messages, or committing updates). */
    private Behavior<Command> timed(boolean update, Supplier<Behavior<Command>> handler) {
        long start = System.nanoTime();
        try {
            return handler.get();
        } finally {
            metrics.busy(update, System.nanoTime() - start);
        }
    }

    private Behavior<Command> onRequestWork(Phase phase, RequestWork request) {
        String refusal = CoordinatorProtocol.refusal(config, fingerprint, request, run.nextIteration());
        if (refusal != null) {
            request.evaluator().tell(new Evaluator.Refused(refusal));
            return Behaviors.same();
        }
        if (roster.asked(request.evaluator(), request.evaluatorId(), request)) {
            counts.evaluatorsActive = roster.size();
            context.watchWith(request.evaluator(), new EvaluatorGone(request.evaluator()));
            listener.tell(new RunEvent.Note("evaluator " + request.evaluatorId() + " joined at iteration "
                    + run.nextIteration() + " (" + roster.size() + " active)"));
        }
        // An evaluator asks only when free: work it still holds, it has given up (it waited in vain for a pushed
        // update, or was out of step), so that work goes to the next evaluator now, not at its deadline.
        int dropped = phase.reissueHeldBy(request.evaluator());
        if (dropped > 0) {
            counts.reissued += dropped;
            nodes.distrust(request.evaluator());
        }
        serve(phase, request);
        return Behaviors.same();
    }

    /** Answers a request now if it can: the updates its node lacks, or the next unit of work; else parks it. */
    private void serve(Phase phase, RequestWork request) {
        long t = run.nextIteration();
        NodeCatchUp.Decision<ActorRef<Evaluator.Command>> decision = nodes.decide(request.evaluator(),
                request.node(), request.applied(), request.known(), t);
        switch (decision.kind()) {
            case WAIT -> { } // another evaluator of its node brings the updates; it is served again then
            case FETCH -> request.evaluator().tell(new Evaluator.CatchUp(decision.from(),
                    codes.range(decision.from(), t)));
            case SERVE -> {
                if (!phase.handOut(request.evaluator(), System.nanoTime() + deadlineNanos)) {
                    roster.park(request.evaluator(), request);
                }
            }
        }
        serveAgain(phase, decision.released());
    }

    /** Serves the last requests of {@code evaluators} again (what they waited for has arrived). */
    private void serveAgain(Phase phase, List<ActorRef<Evaluator.Command>> evaluators) {
        for (ActorRef<Evaluator.Command> e : evaluators) {
            RequestWork last = roster.lastRequest(e);
            if (last != null) {
                serve(phase, last.knowing(nodes.sent(e)));
            }
        }
    }

    private void serveParked(Phase phase) {
        roster.unpark().forEach(request -> serve(phase, request));
    }

    private Behavior<Command> onEvaluatorGone(Phase phase, ActorRef<Evaluator.Command> evaluator) {
        String name = roster.left(evaluator);
        counts.evaluatorsActive = roster.size();
        NodeCatchUp.Left<ActorRef<Evaluator.Command>> left = nodes.left(evaluator);
        List<RewardCode> lost = left.pushTo() == null ? List.of() : codes.range(left.pushFrom(), left.pushUntil());
        for (int k = 0; k < lost.size(); k++) {
            left.pushTo().tell(new Evaluator.UpdatePushed(left.pushFrom() + k, lost.get(k)));
        }
        int reissued = phase.reissueHeldBy(evaluator);
        listener.tell(new RunEvent.Note("evaluator " + name + " left; " + reissued + " member(s) issued again ("
                + roster.size() + " active)"));
        serveAgain(phase, left.released());
        return reissued(phase, reissued);
    }

    private Behavior<Command> reissued(Phase phase, int count) {
        if (count > 0) {
            counts.reissued += count;
            serveParked(phase);
        }
        return Behaviors.same();
    }

    /** Closes the journal and the evaluation datasets' tokenizer; safe to call twice. */
    private void release() {
        schedule.close();
        run.close();
    }
}
