package dev.esactors.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.Member;
import dev.esactors.core.es.Update;

import java.util.Arrays;
import java.util.List;

/**
 * Collects one iteration's rewards, then shapes them into the update every replica applies, and stops: the
 * per-request aggregator of the Akka samples. The Coordinator has already dropped duplicates and stale results.
 */
public final class Reducer {

    /** The Reducer's protocol. */
    public sealed interface Command {
    }

    /**
     * The accepted reward of one member.
     *
     * @param member member index
     * @param reward raw reward (NaN if its evaluation failed)
     */
    public record Result(int member, double reward) implements Command {
    }

    private Reducer() {
    }

    /** A reducer for {@code iteration} of {@code members}, replying to {@code replyTo} with the update. */
    public static Behavior<Command> create(EsConfig config, long iteration, List<Member> members,
                                           ActorRef<Coordinator.Command> replyTo) {
        double[] rewards = new double[members.size()];
        Arrays.fill(rewards, Double.NaN);
        boolean[] received = new boolean[members.size()];
        return Behaviors.setup(context -> collecting(config, iteration, members, replyTo, rewards, received, 0));
    }

    private static Behavior<Command> collecting(EsConfig config, long iteration, List<Member> members,
                                                ActorRef<Coordinator.Command> replyTo, double[] rewards,
                                                boolean[] received, int count) {
        return Behaviors.receive(Command.class)
                .onMessage(Result.class, r -> {
                    if (received[r.member()]) {
                        return Behaviors.same();
                    }
                    received[r.member()] = true;
                    rewards[r.member()] = r.reward();
                    int now = count + 1;
                    if (now < members.size()) {
                        return collecting(config, iteration, members, replyTo, rewards, received, now);
                    }
                    Update update = Update.fromRewards(config, iteration, members, rewards);
                    replyTo.tell(new Coordinator.Reduced(update));
                    return Behaviors.stopped();
                })
                .build();
    }
}
