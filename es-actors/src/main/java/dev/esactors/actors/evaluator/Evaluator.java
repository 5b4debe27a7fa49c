package dev.esactors.actors.evaluator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import dev.esactors.actors.metrics.EvaluatorMetrics;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.actors.wire.EvaluatorProtocol;
import dev.esactors.actors.wire.EvaluatorProtocol.CatchUp;
import dev.esactors.actors.wire.EvaluatorProtocol.Command;
import dev.esactors.actors.wire.EvaluatorProtocol.EvalWork;
import dev.esactors.actors.wire.EvaluatorProtocol.Finished;
import dev.esactors.actors.wire.EvaluatorProtocol.Refused;
import dev.esactors.actors.wire.EvaluatorProtocol.UpdatePushed;
import dev.esactors.actors.wire.EvaluatorProtocol.Work;
import dev.esactors.actors.wire.PromptRewards;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.MemberPerturbation;
import dev.esactors.core.es.MemberScore;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Torch;
import dev.esactors.train.TaskFitness;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.Evaluation;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.List;

/**
 * One model replica pinned to one device. It finds its run's Coordinator through the receptionist and pulls work:
 * evaluates a group of members through the run's {@link MemberPerturbation} (perturb, decode, score, restore
 * exactly), reports the rewards, and asks again. Updates (seeds and scalars only; weights never travel) are pushed
 * to one evaluator per node as they are committed and shared on the node; a replica that lags fetches what it lacks.
 */
public final class Evaluator extends AbstractBehavior<EvaluatorProtocol.Command> {

    private record CoordinatorListing(Receptionist.Listing listing) implements EvaluatorProtocol.Local {
    }

    /** The node's update log has what the waiting work needs. */
    private enum NodeHasUpdates implements EvaluatorProtocol.Local {
        INSTANCE
    }

    /** The update the waiting work needs was pushed to this node but has not arrived: ask for it instead. */
    private enum PushOverdue implements EvaluatorProtocol.Local {
        INSTANCE
    }

    /** How long work waits for an update pushed to its node before the evaluator fetches it itself. */
    private static final Duration PUSH_WAIT = Duration.ofSeconds(10);

    private final RunConfig config;
    private final String id;
    private final DeviceSpec device;
    private final EsModel model;
    private final TaskFitness fitness;
    private final MemberPerturbation perturbation;
    private final EvaluatorMetrics metrics;
    private final EvalDatasets evalData;
    private final NodeUpdates.Log nodeUpdates;
    private final String node;
    private final long fingerprint;
    private final TimerScheduler<Command> timers;
    private ActorRef<CoordinatorProtocol.Command> coordinator;
    private long applied;
    private Command waiting; // work that waits for an update pushed to another evaluator of this node, or null

    private Evaluator(ActorContext<Command> context, TimerScheduler<Command> timers, RunConfig config, String id,
                      DeviceSpec device, MeterRegistry registry) {
        super(context);
        this.timers = timers;
        this.config = config;
        this.id = id;
        this.device = device;
        this.model = BaseModel.load(config, device);
        this.fitness = new TaskFitness(config, model.decoder(), BaseModel.dir(config));
        this.perturbation = MemberPerturbation.of(model.replica());
        this.metrics = new EvaluatorMetrics(registry, id, device);
        this.evalData = new EvalDatasets(config);
        this.node = context.getSystem().address().toString();
        this.fingerprint = CoordinatorProtocol.fingerprint(config);
        // Keyed by everything that determines the updates, so that two runs in one JVM never share a log.
        this.nodeUpdates = NodeUpdates.get(context.getSystem()).log(config.id() + "|" + config.dir().toAbsolutePath()
                + "|" + fingerprint);
        ActorRef<Receptionist.Listing> adapter = context.messageAdapter(Receptionist.Listing.class, CoordinatorListing::new);
        context.getSystem().receptionist().tell(Receptionist.subscribe(CoordinatorProtocol.key(config.id()), adapter));
        context.getLog().info("evaluator {} ready on {}", id, device);
    }

    /**
     * An evaluator named {@code id} on {@code device}, with its meters on {@code registry}; run it on
     * the blocking dispatcher ({@code Coordinator.BLOCKING}).
     */
    public static Behavior<Command> create(RunConfig config, String id, DeviceSpec device, MeterRegistry registry) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Evaluator(context, timers, config, id, device, registry)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(CoordinatorListing.class, this::onListing)
                .onMessage(CatchUp.class, this::onCatchUp)
                .onMessage(UpdatePushed.class, this::onUpdatePushed)
                .onMessage(NodeHasUpdates.class, m -> onNodeHasUpdates())
                .onMessage(PushOverdue.class, m -> onPushOverdue())
                .onMessage(Work.class, this::onWork)
                .onMessage(EvalWork.class, this::onEvalWork)
                .onMessage(Refused.class, this::onRefused)
                .onMessage(Finished.class, f -> {
                    evalData.close();
                    return Behaviors.stopped();
                })
                .build();
    }

    private Behavior<Command> onListing(CoordinatorListing message) {
        var found = message.listing().getServiceInstances(CoordinatorProtocol.key(config.id()));
        if (found.isEmpty()) {
            return this;
        }
        ActorRef<CoordinatorProtocol.Command> next = found.iterator().next();
        if (!next.equals(coordinator)) {
            coordinator = next; // first contact, or a coordinator re-created after its node was lost
            requestWork();
        }
        return this;
    }

    private Behavior<Command> onCatchUp(CatchUp catchUp) {
        List<Update> updates = new java.util.ArrayList<>();
        for (int k = 0; k < catchUp.rewards().size(); k++) {
            updates.add(catchUp.rewards().get(k).update(config.es(), catchUp.from() + k));
        }
        nodeUpdates.add(catchUp.from(), updates);
        catchUpLocally(Long.MAX_VALUE);
        requestWork();
        return this;
    }

    private Behavior<Command> onUpdatePushed(UpdatePushed pushed) {
        nodeUpdates.add(pushed.iteration(), List.of(pushed.rewards().update(config.es(), pushed.iteration())));
        catchUpLocally(Long.MAX_VALUE); // while idle, so that the next work starts at once
        return this;
    }

    /**
     * Whether this replica is at the weights {@code work} of {@code iteration} needs, after applying what the node
     * has. If the node lacks an update (pushed to another of its evaluators, still on its way) the work waits here;
     * if the replica is ahead, the coordinator is asked again and answers that it belongs to another run state.
     */
    private boolean ready(long iteration, Command work) {
        catchUpLocally(iteration);
        if (applied == iteration) {
            return true;
        }
        if (applied < iteration) {
            waiting = work;
            timers.startSingleTimer(PushOverdue.INSTANCE, PUSH_WAIT);
            ActorRef<Command> self = getContext().getSelf();
            nodeUpdates.whenKnown(iteration, () -> self.tell(NodeHasUpdates.INSTANCE));
        } else {
            requestWork();
        }
        return false;
    }

    private Behavior<Command> onNodeHasUpdates() {
        Command work = waiting;
        if (work != null) {
            waiting = null;
            timers.cancel(PushOverdue.INSTANCE);
            return work instanceof Work w ? onWork(w) : onEvalWork((EvalWork) work);
        }
        return this;
    }

    private Behavior<Command> onPushOverdue() {
        if (waiting != null) {
            // The node's push target left before passing the update on: give the work back and fetch the update.
            getContext().getLog().warn("evaluator {}: the pushed update did not reach this node in {}; fetching it",
                    id, PUSH_WAIT);
            waiting = null;
            requestWork();
        }
        return this;
    }

    /** Applies the updates this node already has, up to iteration {@code until}. */
    private void catchUpLocally(long until) {
        while (applied < Math.min(until, nodeUpdates.known())) {
            model.replica().apply(nodeUpdates.get(applied));
            applied++;
        }
    }

    private Behavior<Command> onWork(Work work) {
        if (!ready(work.iteration(), work)) {
            return this;
        }
        EsConfig es = config.es();
        List<Member> group = es.schedule().members(work.iteration(), es.populationSize(), es.antithetic())
                .subList(work.first(), work.first() + work.count());
        List<MemberScore> scores = perturbation.evaluate(work.iteration(), group, fitness);
        double[] rewards = new double[group.size()];
        double[][] promptRewards = new double[group.size()][];
        for (int k = 0; k < rewards.length; k++) {
            MemberScore score = scores.get(k);
            rewards[k] = score.reward();
            promptRewards[k] = score.promptRewards();
            metrics.member(score.perturbNanos(), score.decodeNanos(), score.tokens());
            if (!score.error().isEmpty()) {
                getContext().getLog().warn("evaluator {}: member {} of iteration {} failed: {}", id,
                        group.get(k).index(), work.iteration(), score.error());
            }
        }
        coordinator.tell(new CoordinatorProtocol.MemberResults(work.iteration(), work.first(), rewards, getContext().getSelf(),
                es.shaping() == FitnessShaping.PER_PROMPT ? PromptRewards.encode(promptRewards) : null));
        requestWork();
        return this;
    }

    private Behavior<Command> onEvalWork(EvalWork work) {
        if (!ready(work.iteration(), work)) {
            return this;
        }
        long start = System.nanoTime();
        Evaluation.Tally tally = Evaluation.Tally.EMPTY;
        String error = "";
        try {
            tally = evalData.score(model.decoder(), work.dataset(), work.chunk());
        } catch (RuntimeException e) {
            error = e.toString();
            getContext().getLog().warn("evaluator {}: evaluation chunk {} of dataset {} failed: {}", id, work.chunk(),
                    work.dataset(), error);
        }
        metrics.evaluationChunk(System.nanoTime() - start, tally.items(), tally.tokens());
        coordinator.tell(new CoordinatorProtocol.EvalResult(work.iteration(), work.dataset(), work.chunk(), tally, error, id,
                getContext().getSelf()));
        requestWork();
        return this;
    }

    private Behavior<Command> onRefused(Refused refused) {
        evalData.close();
        // A failure, not a stop: the node's guardian reports it and the process exits non-zero (a refused evaluator
        // cannot serve this run, and its supervisor should not take the exit for a finished run).
        throw new IllegalStateException("refused by the coordinator: " + refused.reason());
    }

    private void requestWork() {
        if (coordinator != null) {
            coordinator.tell(new CoordinatorProtocol.RequestWork(getContext().getSelf(), id, device.type(), applied,
                    nodeUpdates.known(), node, fingerprint, device.isCuda() ? "" : Torch.kernels()));
        }
    }
}
