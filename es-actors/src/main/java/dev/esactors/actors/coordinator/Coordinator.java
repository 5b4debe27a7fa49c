package dev.esactors.actors.coordinator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import dev.esactors.actors.metrics.CoordinatorMetrics;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.actors.wire.CoordinatorProtocol.Command;
import dev.esactors.actors.wire.CoordinatorProtocol.EvalResult;
import dev.esactors.actors.wire.CoordinatorProtocol.Local;
import dev.esactors.actors.wire.CoordinatorProtocol.MemberResults;
import dev.esactors.actors.wire.CoordinatorProtocol.RequestWork;
import dev.esactors.actors.wire.CoordinatorProtocol.Wake;
import dev.esactors.actors.wire.EvaluatorProtocol;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.es.update.Update;
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
public final class Coordinator {

    /** The dispatcher for actors that block on LibTorch (model loading, evaluation, updates). */
    public static final DispatcherSelector BLOCKING = DispatcherSelector.fromConfig("es-actors.blocking-dispatcher");

    /** An evaluator stopped or its node left (a death watch). */
    private record EvaluatorGone(ActorRef<EvaluatorProtocol.Command> evaluator) implements Local {
    }

    /** Time to issue again the work whose deadline passed. */
    private enum CheckDeadlines implements Local {
        INSTANCE
    }

    private final ActorContext<Command> context;
    private final RunConfig config;
    private final EsRun run;
    private final ActorRef<RunEvent> listener;
    private final CoordinatorMetrics metrics;
    private final FaultCounts counts = new FaultCounts();
    private final EvaluatorRoster<ActorRef<EvaluatorProtocol.Command>, RequestWork> roster = new EvaluatorRoster<>();
    private final KernelMix kernels = new KernelMix();
    private final UpdateDelivery updates;
    private final EvaluationSchedule schedule;
    private final long fingerprint;
    private final long deadlineNanos;
    private final boolean driftEveryIteration; // else at held-out rounds only: it reads the base weights
    private boolean finished;

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, RunConfig config, EsRun run,
                        ActorRef<RunEvent> listener, MeterRegistry registry) {
        // The budgets are counted by the single-process loop; evaluators report neither tokens nor CPU time.
        if (config.run().tokenBudget() > 0 || config.run().coreSeconds() > 0) {
            throw new IllegalArgumentException("run.token-budget and run.core-seconds need a run in one process "
                    + "(--evaluators 0, or method = \"grpo\"), not the actors");
        }
        this.context = context;
        this.config = config;
        this.run = run;
        this.listener = listener;
        this.metrics = new CoordinatorMetrics(registry, run.nextIteration(), config.iterations(), counts);
        this.schedule = new EvaluationSchedule(config, run.nextIteration());
        this.updates = new UpdateDelivery(run::updates);
        this.fingerprint = CoordinatorProtocol.fingerprint(config);
        this.driftEveryIteration = WeightDrift.everyIteration(run.replica().master());
        this.deadlineNanos = config.run().memberDeadline().toNanos();
        context.getSystem().receptionist().tell(Receptionist.register(CoordinatorProtocol.key(config.id()), context.getSelf()));
        timers.startTimerWithFixedDelay(CheckDeadlines.INSTANCE, Duration.ofMillis(
                Math.max(50, Math.min(1000, config.run().memberDeadline().toMillis() / 4))));
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

    private Behavior<Command> evaluating(IterationWork<ActorRef<EvaluatorProtocol.Command>> work) {
        WorkSource source = WorkSource.of(work.queue(),
                g -> new EvaluatorProtocol.Work(work.iteration(), work.first(g), work.count(g)));
        serveParked(source);
        return phase(source, Behaviors.receive(Command.class)
                .onMessage(MemberResults.class, r -> timed(false, () -> onResult(work, r))));
    }

    private Behavior<Command> onResult(IterationWork<ActorRef<EvaluatorProtocol.Command>> work, MemberResults result) {
        IterationWork.Outcome outcome = work.accept(result.iteration(), result.first(), result.rewards(),
                result.promptRows(), result.from());
        if (outcome != IterationWork.Outcome.ACCEPTED) {
            return notTaken(outcome, result);
        }
        if (!work.complete()) {
            return Behaviors.same();
        }
        int failed = Update.failedCount(work.rewards());
        if (failed == work.members().size()) { // an update without signal would be journalled as one
            return abort("iteration " + work.iteration() + ": all " + failed + " members failed (the evaluators' "
                    + "logs say why); the run stops before journalling it");
        }
        context.spawn(Reducer.create(run.config(), work.iteration(), work.members(), work.rewards(),
                work.promptRewards(), context.getSelf()), "reducer-" + work.iteration());
        return committing(work);
    }

    /** Counts a result the iteration did not take: stale, from an evaluator not issued it, or a copy. */
    private Behavior<Command> notTaken(IterationWork.Outcome outcome, MemberResults r) {
        switch (outcome) {
            case STALE -> counts.stale++;
            case UNISSUED -> unissued(r.from(), "members from " + r.first() + " of iteration " + r.iteration());
            default -> counts.duplicates++;
        }
        return Behaviors.same();
    }

    private Behavior<Command> committing(IterationWork<ActorRef<EvaluatorProtocol.Command>> work) {
        return phase(WorkSource.NOTHING, Behaviors.receive(Command.class)
                // every group is in: what is not stale or unissued is a copy of one
                .onMessage(MemberResults.class, r -> notTaken(work.accept(r.iteration(), r.first(), r.rewards(),
                        r.promptRows(), r.from()), r))
                .onMessage(Reducer.Reduced.class, m -> timed(true, () -> commit(work, m.update()))));
    }

    /**
     * Journals the update and, once it is durable, pushes it to one evaluator per node and starts the next iteration
     * while the master applies it; a round or the end waits for the master.
     */
    private Behavior<Command> commit(IterationWork<ActorRef<EvaluatorProtocol.Command>> work, Update update) {
        var before = run.lastCheckpoint();
        long following = update.iteration() + 1;
        EvalRound due = schedule.due(following);
        boolean iterationFollows = due == null && following < config.iterations();
        List<Behavior<Command>> started = new ArrayList<>(1);
        run.commit(update, () -> {
            if (due != null || iterationFollows) { // the end needs no evaluator to have the last update
                updates.push(update.iteration());
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

    private Behavior<Command> inRound(EvalRound round) {
        RoundWork<ActorRef<EvaluatorProtocol.Command>> work = new RoundWork<>(round);
        WorkSource source = WorkSource.of(work.queue(),
                c -> new EvaluatorProtocol.EvalWork(round.iteration(), c.dataset(), c.index()));
        serveParked(source);
        return phase(source, Behaviors.receive(Command.class)
                .onMessage(EvalResult.class, r -> onEvalResult(work, r)));
    }

    /** A result from an evaluator that was never issued its work: ignored, counted and logged. */
    private void unissued(ActorRef<EvaluatorProtocol.Command> from, String what) {
        counts.unissued++;
        context.getLog().warn("ignored a result for {} from {}, which was not issued that work", what, from);
    }

    private Behavior<Command> onEvalResult(RoundWork<ActorRef<EvaluatorProtocol.Command>> work, EvalResult result) {
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
        roster.evaluators().forEach(e -> e.tell(EvaluatorProtocol.Finished.INSTANCE));
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
        roster.evaluators().forEach(e -> e.tell(EvaluatorProtocol.Finished.INSTANCE));
        release(); // explicitly: a run already complete at start-up stops before any PostStop handler exists
        return Behaviors.stopped();
    }

    // ---- what every phase does ----

    /** {@code specific}'s handlers, then the ones every phase shares; results of another phase are stale. */
    private Behavior<Command> phase(WorkSource source, BehaviorBuilder<Command> specific) {
        return specific
                .onMessage(RequestWork.class, m -> timed(false, () -> onRequestWork(source, m)))
                .onMessage(EvaluatorGone.class, m -> onEvaluatorGone(source, m.evaluator()))
                .onMessage(CheckDeadlines.class, m -> reissued(source, source.reissueOverdue(System.nanoTime())))
                .onMessage(MemberResults.class, m -> stale())
                .onMessage(EvalResult.class, m -> stale())
                .onMessage(Reducer.Reduced.class, m -> stale())
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

    private Behavior<Command> onRequestWork(WorkSource source, RequestWork request) {
        String refusal = Admission.refusal(config, fingerprint, request, run.nextIteration());
        if (refusal != null) {
            request.evaluator().tell(new EvaluatorProtocol.Refused(refusal));
            return Behaviors.same();
        }
        if (roster.asked(request.evaluator(), request.evaluatorId(), request)) {
            counts.evaluatorsActive = roster.size();
            context.watchWith(request.evaluator(), new EvaluatorGone(request.evaluator()));
            listener.tell(new RunEvent.Note("evaluator " + request.evaluatorId() + " joined at iteration "
                    + run.nextIteration() + " (" + roster.size() + " active)"));
            String mixed = kernels.joined(request.evaluatorId(), request.kernels());
            if (mixed != null) {
                context.getLog().warn(mixed);
                listener.tell(new RunEvent.Note(mixed));
            }
        }
        // An evaluator asks only when free: work it still holds, it has given up (it waited in vain for a pushed
        // update, or was out of step), so that work goes to the next evaluator now, not at its deadline.
        int dropped = source.reissueHeldBy(request.evaluator());
        if (dropped > 0) {
            counts.reissued += dropped;
            updates.distrust(request.evaluator());
        }
        serve(source, request);
        return Behaviors.same();
    }

    /** Answers a request now if it can: the updates its node lacks, or the next unit of work; else parks it. */
    private void serve(WorkSource source, RequestWork request) {
        // FETCH has been sent the updates; WAIT: another evaluator of its node brings them, then it is served again
        NodeCatchUp.Decision<ActorRef<EvaluatorProtocol.Command>> decision = updates.decide(request.evaluator(),
                request.node(), request.applied(), request.known(), run.nextIteration());
        if (decision.kind() == NodeCatchUp.Kind.SERVE
                && !source.handOut(request.evaluator(), System.nanoTime() + deadlineNanos)) {
            roster.park(request.evaluator(), request);
        }
        serveAgain(source, decision.released());
    }

    /** Serves the last requests of {@code evaluators} again (what they waited for has arrived). */
    private void serveAgain(WorkSource source, List<ActorRef<EvaluatorProtocol.Command>> evaluators) {
        for (ActorRef<EvaluatorProtocol.Command> e : evaluators) {
            RequestWork last = roster.lastRequest(e);
            if (last != null) {
                serve(source, last.knowing(updates.sent(e)));
            }
        }
    }

    private void serveParked(WorkSource source) {
        roster.unpark().forEach(request -> serve(source, request));
    }

    private Behavior<Command> onEvaluatorGone(WorkSource source, ActorRef<EvaluatorProtocol.Command> evaluator) {
        String name = roster.left(evaluator);
        counts.evaluatorsActive = roster.size();
        List<ActorRef<EvaluatorProtocol.Command>> released = updates.left(evaluator);
        int reissued = source.reissueHeldBy(evaluator);
        listener.tell(new RunEvent.Note("evaluator " + name + " left; " + reissued + " member(s) issued again ("
                + roster.size() + " active)"));
        serveAgain(source, released);
        return reissued(source, reissued);
    }

    private Behavior<Command> reissued(WorkSource source, int count) {
        if (count > 0) {
            counts.reissued += count;
            serveParked(source);
        }
        return Behaviors.same();
    }

    /** Closes the journal and the evaluation datasets' tokenizer; safe to call twice. */
    private void release() {
        schedule.close();
        run.close();
    }
}
