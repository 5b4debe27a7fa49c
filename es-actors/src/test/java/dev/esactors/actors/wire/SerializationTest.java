package dev.esactors.actors.wire;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import com.typesafe.config.ConfigFactory;
import dev.esactors.core.es.update.Update;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        TestProbe<EvaluatorProtocol.Command> evaluator = KIT.createTestProbe();
        roundTrips(new CoordinatorProtocol.RequestWork(evaluator.getRef(), "node/evaluator-0", "cpu", 12, 14, "akka://es-actors@10.0.0.7:2552",
                -6_917_529_027_641_081_857L, "ATen AVX2, OpenBLAS Haswell"));
        roundTrips(new CoordinatorProtocol.MemberResults(12, 5, new double[] {0.75}, evaluator.getRef()));
        roundTrips(new CoordinatorProtocol.MemberResults(12, 6, new double[] {0.5, Double.NaN}, evaluator.getRef(),
                PromptRewards.encode(new double[][] {{1, 0, 0.5, 0}, {}})));
        roundTrips(new CoordinatorProtocol.MemberResults(12, 8, new double[] {Double.NaN, 0.5, -1e-300, 3},
                evaluator.getRef()));
        roundTrips(new CoordinatorProtocol.EvalResult(50, 1, 7, new dev.esactors.train.eval.Evaluation.Tally(64, 20, 63,
                27.25, 1280, 1, 0, 0, 0, false, new double[0]), "", "node/evaluator-0", evaluator.getRef()));
        roundTrips(new CoordinatorProtocol.EvalResult(50, 1, 7, new dev.esactors.train.eval.Evaluation.Tally(64, 20, 63,
                27.25, 11520, 1, 4, 101, 23, true, new double[] {0.39453125, 0.5, 0.5625, 1.0 / 3}), "", "node/evaluator-0",
                evaluator.getRef()));
        roundTrips(new CoordinatorProtocol.EvalResult(50, 0, 0, dev.esactors.train.eval.Evaluation.Tally.EMPTY,
                "java.lang.IllegalArgumentException: bad line", "node/evaluator-1", evaluator.getRef()));
    }

    @Test
    void evaluatorMessagesRoundTrip() {
        roundTrips(new EvaluatorProtocol.Work(3, 7, 1));
        roundTrips(new EvaluatorProtocol.Work(3, 16, 8));
        roundTrips(new EvaluatorProtocol.EvalWork(50, 1, 7));
        double[] many = new double[300];
        for (int n = 0; n < many.length; n++) {
            many[n] = Math.sin(n);
        }
        roundTrips(new EvaluatorProtocol.CatchUp(4, List.of(WireUpdate.of(new double[] {Double.NaN, 2, 1.0 / 3, 2, -1e-300}, false),
                WireUpdate.of(many, true))));
        roundTrips(new EvaluatorProtocol.CatchUp(0, List.of()));
        roundTrips(new EvaluatorProtocol.UpdatePushed(9, WireUpdate.of(new double[] {0.25, Double.NaN, 0.25, 1}, true)));
        roundTrips(new EvaluatorProtocol.UpdatePushed(10, WireUpdate.of(many, false)));
        roundTrips(new EvaluatorProtocol.Refused("device type cuda, run uses cpu"));
        roundTrips(EvaluatorProtocol.Finished.INSTANCE);
    }

    /** The catch-up carries raw rewards only; the evaluator's rebuilt update must be the coordinator's, bit for bit. */
    @Test
    void rewardCodesRebuildTheCoordinatorsUpdate() {
        dev.esactors.core.es.EsConfig config = dev.esactors.core.es.EsConfig.paper(9).withPopulation(300, 0.01, 0.005)
                .withShaping(dev.esactors.core.es.update.FitnessShaping.ZSCORE, true).withShuffledControl(true)
                .withAlphaSchedule(new dev.esactors.core.es.update.AlphaSchedule.Cosine(0.001, 20));
        java.util.Random random = new java.util.Random(3);
        for (boolean discrete : new boolean[] {true, false}) {
            double[] rewards = new double[300];
            for (int n = 0; n < rewards.length; n++) {
                rewards[n] = discrete ? random.nextInt(17) / 16.0 : random.nextGaussian();
            }
            rewards[7] = Double.NaN; // a failed member
            Update original = Update.fromRewards(config, 12,
                    config.schedule().members(12, 300, true), rewards);
            WireUpdate code = WireUpdate.of(original);
            assertEquals(config.alphaAt(12), original.alpha(), "the update carries its iteration's alpha");
            assertTrue(original.alpha() < 0.005 && original.alpha() > 0.001, "alpha at 12 of a 20-iteration decay");
            assertEquals(original, code.update(config, 12));
            assertEquals(discrete, code.codes().length == 300, "discrete rewards travel as a table and codes");
        }
        // an iteration without signal is skipped, and a journal's record of a tied iteration from before skipping
        // existed (applied) is rebuilt as applied
        double[] tied = new double[300];
        java.util.Arrays.fill(tied, 0.5);
        tied[3] = Double.NaN; // a failed member counts as the worst, which is 0.5 too
        Update skipped = Update.fromRewards(config, 13, config.schedule().members(13, 300, true),
                tied);
        assertTrue(skipped.skipped());
        assertEquals(skipped, WireUpdate.of(skipped).update(config, 13));
        Update applied = skipped.withSkipped(false);
        assertEquals(applied, WireUpdate.of(applied).update(config, 13));
        // per-prompt shaping: the rows travel with the rewards (a failed member's empty row too)
        dev.esactors.core.es.EsConfig perPrompt = config.withShaping(dev.esactors.core.es.update.FitnessShaping.PER_PROMPT,
                true);
        double[][] rows = new double[300][];
        double[] means = new double[300];
        for (int n = 0; n < 300; n++) {
            rows[n] = n == 7 ? new double[0] : new double[] {random.nextInt(2), random.nextInt(2), random.nextInt(2)};
            means[n] = n == 7 ? Double.NaN : (rows[n][0] + rows[n][1] + rows[n][2]) / 3;
        }
        Update shaped = Update.fromRewards(perPrompt, 14,
                perPrompt.schedule().members(14, 300, true), means, rows);
        WireUpdate code = WireUpdate.of(shaped);
        assertEquals(shaped, code.update(perPrompt, 14));
        assertEquals(900, code.prompts().codes().length, "one byte per member and prompt");
    }
}
