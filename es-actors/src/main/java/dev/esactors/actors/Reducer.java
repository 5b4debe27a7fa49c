package dev.esactors.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.Member;
import dev.esactors.core.es.Update;

import java.util.List;

/**
 * Shapes one iteration's raw rewards into the update every replica applies ({@link Update#fromRewards}), replies,
 * and stops. The Coordinator has already collected the rewards once each (duplicates and stale results never reach
 * it); a Reducer per iteration keeps the shaping out of the coordinator's message handling.
 */
public final class Reducer {

    private Reducer() {
    }

    /**
     * A reducer of {@code iteration}'s {@code rewards} (indexed like {@code members}; with per-prompt shaping, their
     * rewards on each prompt too), replying to {@code replyTo}.
     */
    public static Behavior<Void> create(EsConfig config, long iteration, List<Member> members, double[] rewards,
                                        double[][] promptRewards, ActorRef<Coordinator.Command> replyTo) {
        double[] raw = rewards.clone();
        return Behaviors.setup(context -> {
            replyTo.tell(new Coordinator.Reduced(Update.fromRewards(config, iteration, members, raw, promptRewards)));
            return Behaviors.stopped();
        });
    }
}
