package dev.esactors.actors;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.actor.typed.javadsl.Adapter;
import com.typesafe.config.ConfigFactory;
import dev.esactors.core.es.Update;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every message that crosses nodes survives jackson-cbor, and Java serialization is never used for them. */
class SerializationTest {

    private static final ActorTestKit KIT = ActorTestKit.create("serialization",
            ConfigFactory.parseResources(SerializationTest.class, "/es-actors-akka.conf")
                    .withFallback(ConfigFactory.parseString("akka.actor.provider = local")));
    private static final SerializationTestKit SERIALIZATION = new SerializationTestKit(KIT.system());

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private static void roundTrips(Object message) {
        SERIALIZATION.verifySerialization(message, true);
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(KIT.system()));
        assertEquals("jackson-cbor", serializerName(serialization, message), message.getClass().getName());
    }

    private static String serializerName(Serialization serialization, Object message) {
        return serialization.findSerializerFor(message) instanceof akka.serialization.jackson.JacksonCborSerializer
                ? "jackson-cbor" : serialization.findSerializerFor(message).getClass().getName();
    }

    @Test
    void coordinatorMessagesRoundTrip() {
        TestProbe<Evaluator.Command> evaluator = KIT.createTestProbe();
        roundTrips(new Coordinator.RequestWork(evaluator.getRef(), "node/evaluator-0", "cpu", 12));
        roundTrips(new Coordinator.MemberResults(12, 5, new double[] {0.75}));
        roundTrips(new Coordinator.MemberResults(12, 8, new double[] {Double.NaN, 0.5, -1e-300, 3}));
        roundTrips(new Coordinator.EvalResult(50, 1, 7, new dev.esactors.actors.run.Evaluation.Tally(64, 20, 63,
                27.25, 1280, 1), "", "node/evaluator-0"));
        roundTrips(new Coordinator.EvalResult(50, 0, 0, dev.esactors.actors.run.Evaluation.Tally.EMPTY,
                "java.lang.IllegalArgumentException: bad line", "node/evaluator-1"));
    }

    @Test
    void evaluatorMessagesRoundTrip() {
        roundTrips(new Evaluator.Work(3, 7, 1));
        roundTrips(new Evaluator.Work(3, 16, 8));
        roundTrips(new Evaluator.EvalWork(50, 1, 7));
        Update update = new Update(4, new long[] {1, 2, 3}, new int[] {1, -1, 1}, new double[] {0.5, -1e-300, Math.PI},
                new double[] {Double.NaN, 2, 1.0 / 3}, 5e-4, 1e-3);
        roundTrips(new Evaluator.CatchUp(List.of(update, update)));
        roundTrips(new Evaluator.CatchUp(List.of()));
        roundTrips(new Evaluator.Refused("device type cuda, run uses cpu"));
        roundTrips(Evaluator.Finished.INSTANCE);
    }
}
