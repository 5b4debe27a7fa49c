package dev.esactors.actors.node;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * On an evaluator node: watches the cluster's members with the coordinator role. When none has been up for
 * {@code cluster.coordinator-wait} (none ever joined, the seed nodes being wrong or down, or the last one left), it
 * reports the node as lost, so that the process exits and its supervisor
 * (a Kubernetes Job, systemd) restarts it: a replacement coordinator started alone forms a new cluster, which a
 * fresh evaluator joins through the seed nodes and catches up by replay.
 */
public final class CoordinatorWatch {

    /** The watch's protocol (local). */
    public sealed interface Command {
    }

    private record Membership(ClusterEvent.MemberEvent event) implements Command {
    }

    private enum Expired implements Command {
        INSTANCE
    }

    /**
     * The least time a starting node is given to join (a JVM under load takes seconds to reach its seed nodes), even
     * when coordinator-wait is shorter: the short waits of tests are meant for a coordinator that left.
     */
    static final Duration FIRST_JOIN = Duration.ofSeconds(20);

    private CoordinatorWatch() {
    }

    /** Calls {@code lost} with a reason when no coordinator node has been up for {@code wait}. */
    public static Behavior<Command> create(Duration wait, Consumer<String> lost) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            ActorRef<ClusterEvent.MemberEvent> adapter = context.messageAdapter(ClusterEvent.MemberEvent.class,
                    Membership::new);
            Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(adapter, ClusterEvent.MemberEvent.class));
            Set<Address> coordinators = new HashSet<>();
            boolean[] seen = {false};
            Duration first = wait.compareTo(FIRST_JOIN) < 0 ? FIRST_JOIN : wait;
            timers.startSingleTimer(Expired.INSTANCE, first); // cancelled by the first coordinator that is up
            return Behaviors.receive(Command.class)
                    .onMessage(Membership.class, m -> {
                        if (!m.event().member().hasRole("coordinator")) {
                            return Behaviors.same();
                        }
                        Address address = m.event().member().address();
                        if (m.event() instanceof ClusterEvent.MemberUp) {
                            coordinators.add(address);
                            seen[0] = true;
                            timers.cancel(Expired.INSTANCE);
                        } else if (m.event() instanceof ClusterEvent.MemberRemoved
                                || m.event() instanceof ClusterEvent.MemberExited
                                || m.event() instanceof ClusterEvent.MemberDowned) {
                            if (coordinators.remove(address) && coordinators.isEmpty()) {
                                timers.startSingleTimer(Expired.INSTANCE, wait);
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessageEquals(Expired.INSTANCE, () -> {
                        if (coordinators.isEmpty() && !seen[0]) {
                            lost.accept("no coordinator node joined within " + first.toSeconds() + " s: check "
                                    + "cluster.seed-nodes (they must name the coordinator nodes, reachable from here)");
                        } else if (coordinators.isEmpty()) {
                            lost.accept("no coordinator node in the cluster for " + wait.toSeconds() + " s (it was "
                                    + "lost; a replacement forms a new cluster): exiting so that this node is "
                                    + "restarted and joins it");
                        }
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
