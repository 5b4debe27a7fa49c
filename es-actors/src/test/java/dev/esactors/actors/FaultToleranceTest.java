package dev.esactors.actors;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import dev.esactors.actors.coordinator.Coordinator;
import dev.esactors.actors.evaluator.Evaluator;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.actors.wire.EvaluatorProtocol;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Torch;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lost, hung and slow evaluators change nothing: members are issued again and duplicates are dropped. */
class FaultToleranceTest {

    private static final ActorTestKit KIT = ActorTestKit.create("faults",
            ConfigFactory.parseResources(FaultToleranceTest.class, "/es-actors-akka.conf")
                    .withFallback(ConfigFactory.parseString("akka.actor.provider = local")));

    private static final String HASWELL = "ATen AVX2, OpenBLAS Haswell";

    @TempDir
    static Path root;
    private static String loopHash;

    @BeforeAll
    static void reference() {
        loopHash = TestRuns.loopHash(TestRuns.small(root.resolve("loop"), 1, Map.of()));
    }

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    private static ActorRef<CoordinatorProtocol.Command> coordinator(RunConfig config, ActorRef<RunEvent> listener) {
        return coordinator(config, listener, new SimpleMeterRegistry());
    }

    private static ActorRef<CoordinatorProtocol.Command> coordinator(RunConfig config, ActorRef<RunEvent> listener,
                                                             MeterRegistry registry) {
        EsModel model = BaseModel.load(config, DeviceSpec.CPU);
        EsRun run = new EsRun(model.replica(), config.dir(), config.identity(), config.checkpoint().every(),
                config.checkpoint().keep(), s -> { });
        return KIT.spawn(Coordinator.create(config, run, listener, registry), "coordinator-" + config.id(),
                Coordinator.BLOCKING);
    }

    private static ActorRef<EvaluatorProtocol.Command> evaluator(RunConfig config, String name) {
        return KIT.spawn(Evaluator.create(config, name, DeviceSpec.CPU, new SimpleMeterRegistry()), name + "-" + config.id(),
                Props.empty().withDispatcherFromConfig("es-actors.blocking-dispatcher"));
    }

    /** Asks for work once, keeps what it gets, never answers: a hung node. */
    private static Behavior<EvaluatorProtocol.Command> hoarder(ActorRef<CoordinatorProtocol.Command> coordinator,
                                                       ActorRef<EvaluatorProtocol.Work> received, long fingerprint) {
        return Behaviors.setup(context -> {
            coordinator.tell(new CoordinatorProtocol.RequestWork(context.getSelf(), "hoarder", "cpu", 0, 0, "test-node",
                    fingerprint, Torch.kernels()));
            return Behaviors.receive(EvaluatorProtocol.Command.class)
                    .onMessage(EvaluatorProtocol.Work.class, w -> {
                        received.tell(w);
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static List<RunEvent> until(TestProbe<RunEvent> probe, Class<? extends RunEvent> last) {
        List<RunEvent> events = new ArrayList<>();
        while (true) {
            RunEvent e = probe.receiveMessage(Duration.ofSeconds(120));
            events.add(e);
            if (last.isInstance(e) || e instanceof RunEvent.RunFailed) {
                return events;
            }
        }
    }

    private static List<RunEvent.IterationDone> iterations(List<RunEvent> events) {
        return events.stream().filter(e -> e instanceof RunEvent.IterationDone).map(e -> (RunEvent.IterationDone) e).toList();
    }

    @Test
    void anEvaluatorLostMidIterationHasItsMemberIssuedAgain() {
        RunConfig config = TestRuns.small(root.resolve("lost"), 1, Map.of());
        TestProbe<RunEvent> events = KIT.createTestProbe();
        ActorRef<CoordinatorProtocol.Command> coordinator = coordinator(config, events.getRef());
        TestProbe<EvaluatorProtocol.Work> taken = KIT.createTestProbe();
        ActorRef<EvaluatorProtocol.Command> hung = KIT.spawn(hoarder(coordinator, taken.getRef(), CoordinatorProtocol.fingerprint(config)),
                "hoarder");
        EvaluatorProtocol.Work work = taken.receiveMessage(Duration.ofSeconds(30));
        assertEquals(0, work.iteration());
        evaluator(config, "worker");
        KIT.stop(hung); // the node holding member 0 of iteration 0 is gone
        List<RunEvent> all = until(events, RunEvent.RunFinished.class);
        RunEvent.RunFinished finished = (RunEvent.RunFinished) all.get(all.size() - 1);
        assertEquals(loopHash, finished.masterHash());
        RunEvent.IterationDone first = iterations(all).get(0);
        assertTrue(first.reissued() >= 1, "member 0 was issued again: " + first);
        assertTrue(all.stream().anyMatch(e -> e instanceof RunEvent.Note n && n.message().contains("hoarder left; 1 member(s) issued again")),
                all.toString());
        // the hoarder names this process's kernels, as the real evaluator does: no warning between them
        assertTrue(all.stream().noneMatch(e -> e instanceof RunEvent.Note n
                && n.message().contains("other CPU kernels")), all.toString());
    }

    @Test
    void missedDeadlinesAndDuplicateResultsChangeNothing() {
        // A deadline far below one evaluation: members are issued again while being evaluated, so results
        // arrive twice and after their iteration ended.
        RunConfig config = TestRuns.small(root.resolve("deadline"), 2, Map.of("run.member-deadline", "5ms"));
        TestProbe<RunEvent> events = KIT.createTestProbe();
        ActorRef<CoordinatorProtocol.Command> coordinator = coordinator(config, events.getRef());
        // And one late copy whatever the timing: a node takes the first member and answers after its iteration
        // ended (a copy still in flight when the run ends would go uncounted).
        TestProbe<EvaluatorProtocol.Work> taken = KIT.createTestProbe();
        ActorRef<EvaluatorProtocol.Command> lateNode = KIT.spawn(hoarder(coordinator, taken.getRef(),
                CoordinatorProtocol.fingerprint(config)), "late-node");
        EvaluatorProtocol.Work held = taken.receiveMessage(Duration.ofSeconds(30));
        evaluator(config, "a");
        evaluator(config, "b");
        List<RunEvent> all = new ArrayList<>(until(events, RunEvent.IterationDone.class));
        coordinator.tell(new CoordinatorProtocol.MemberResults(held.iteration(), held.first(), new double[held.count()],
                lateNode));
        all.addAll(until(events, RunEvent.RunFinished.class));
        RunEvent.RunFinished finished = (RunEvent.RunFinished) all.get(all.size() - 1);
        assertEquals(loopHash, finished.masterHash());
        List<RunEvent.IterationDone> done = iterations(all);
        RunEvent.IterationDone last = done.get(done.size() - 1);
        assertTrue(last.reissued() > 0, last.toString());
        assertTrue(last.stale() > 0, "the late node's copy was ignored and counted: " + last);
    }

    @Test
    void resultsFromAnActorThatWasNotIssuedTheWorkAreIgnoredAndCounted() {
        RunConfig config = TestRuns.small(root.resolve("stranger"), 1, Map.of());
        TestProbe<RunEvent> events = KIT.createTestProbe();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ActorRef<CoordinatorProtocol.Command> coordinator = coordinator(config, events.getRef(), registry);
        // A stranger that reached the coordinator answers for every member of iteration 0 before anyone was issued
        // them, with rewards that would steer the update if they were taken.
        TestProbe<EvaluatorProtocol.Command> stranger = KIT.createTestProbe();
        int population = config.es().populationSize();
        for (int first = 0; first < population; first++) {
            coordinator.tell(new CoordinatorProtocol.MemberResults(0, first, new double[] {first}, stranger.getRef()));
        }
        evaluator(config, "honest");
        List<RunEvent> all = until(events, RunEvent.RunFinished.class);
        assertEquals(loopHash, ((RunEvent.RunFinished) all.get(all.size() - 1)).masterHash(), "the same weights");
        assertEquals(population, registry.get("es_results_unissued").functionCounter().count(),
                "each ignored and counted");
    }

    /** An evaluator whose every member fails: it answers each group with NaN rewards and asks for more. */
    private static Behavior<EvaluatorProtocol.Command> failing(ActorRef<CoordinatorProtocol.Command> coordinator, long fingerprint) {
        return Behaviors.setup(context -> {
            coordinator.tell(new CoordinatorProtocol.RequestWork(context.getSelf(), "failing", "cpu", 0, 0, "failing-node",
                    fingerprint, Torch.kernels()));
            return Behaviors.receive(EvaluatorProtocol.Command.class)
                    .onMessage(EvaluatorProtocol.Work.class, w -> {
                        double[] nan = new double[w.count()];
                        java.util.Arrays.fill(nan, Double.NaN);
                        coordinator.tell(new CoordinatorProtocol.MemberResults(w.iteration(), w.first(), nan,
                                context.getSelf()));
                        coordinator.tell(new CoordinatorProtocol.RequestWork(context.getSelf(), "failing", "cpu", 0, 0,
                                "failing-node", fingerprint, Torch.kernels()));
                        return Behaviors.same();
                    })
                    .onAnyMessage(m -> Behaviors.same())
                    .build();
        });
    }

    @Test
    void anIterationInWhichEveryMemberFailedStopsTheRunWithoutJournallingIt() throws Exception {
        RunConfig config = TestRuns.small(root.resolve("all-failed"), 1, Map.of());
        TestProbe<RunEvent> events = KIT.createTestProbe();
        ActorRef<CoordinatorProtocol.Command> coordinator = coordinator(config, events.getRef());
        KIT.spawn(failing(coordinator, CoordinatorProtocol.fingerprint(config)), "failing");
        List<RunEvent> all = until(events, RunEvent.RunFailed.class);
        RunEvent.RunFailed failed = (RunEvent.RunFailed) all.get(all.size() - 1);
        assertTrue(failed.reason().startsWith("iteration 0: all " + config.es().populationSize() + " members failed"),
                failed.reason());
        assertEquals(0, java.nio.file.Files.size(root.resolve("all-failed/journal.jsonl")), "nothing journalled");
    }

    @Test
    void anEvaluatorOfAnotherDeviceTypeIsRefused() {
        RunConfig config = TestRuns.small(root.resolve("device"), 1, Map.of());
        TestProbe<RunEvent> events = KIT.createTestProbe();
        ActorRef<CoordinatorProtocol.Command> coordinator = coordinator(config, events.getRef());
        TestProbe<EvaluatorProtocol.Command> gpu = KIT.createTestProbe();
        coordinator.tell(new CoordinatorProtocol.RequestWork(gpu.getRef(), "gpu-node", "cuda", 0, 0, "gpu-node",
                CoordinatorProtocol.fingerprint(config), ""));
        EvaluatorProtocol.Refused refused = gpu.expectMessageClass(EvaluatorProtocol.Refused.class, Duration.ofSeconds(30));
        assertTrue(refused.reason().contains("never mixes"), refused.reason());

        // Same device, another population size: its seeds, batches and updates would not be the run's.
        RunConfig other = TestRuns.small(root.resolve("device"), 1, Map.of("es.population", 8));
        TestProbe<EvaluatorProtocol.Command> stranger = KIT.createTestProbe();
        coordinator.tell(new CoordinatorProtocol.RequestWork(stranger.getRef(), "stranger", "cpu", 0, 0, "other-node",
                CoordinatorProtocol.fingerprint(other), Torch.kernels()));
        refused = stranger.expectMessageClass(EvaluatorProtocol.Refused.class, Duration.ofSeconds(30));
        assertTrue(refused.reason().contains("another configuration"), refused.reason());
        KIT.stop(coordinator);
    }

    @Test
    void anEvaluatorOnOtherCpuKernelsIsNamedOnceAndServed() {
        RunConfig config = TestRuns.small(root.resolve("kernels"), 1, Map.of());
        TestProbe<RunEvent> events = KIT.createTestProbe();
        ActorRef<CoordinatorProtocol.Command> coordinator = coordinator(config, events.getRef());
        long fingerprint = CoordinatorProtocol.fingerprint(config);
        String[][] evaluators = {{"a", HASWELL}, {"b", "ATen AVX2, OpenBLAS Cooperlake"}, {"c", HASWELL},
            {"d", "ATen AVX2, OpenBLAS Cooperlake"}};
        List<TestProbe<EvaluatorProtocol.Command>> probes = new ArrayList<>();
        for (String[] e : evaluators) {
            TestProbe<EvaluatorProtocol.Command> probe = KIT.createTestProbe();
            probes.add(probe);
            coordinator.tell(new CoordinatorProtocol.RequestWork(probe.getRef(), e[0], "cpu", 0, 0, e[0] + "-node",
                    fingerprint, e[1]));
        }
        List<String> notes = new ArrayList<>();
        while (notes.stream().noneMatch(n -> n.startsWith("evaluator d joined"))) {
            if (events.receiveMessage(Duration.ofSeconds(30)) instanceof RunEvent.Note n) {
                notes.add(n.message());
            }
        }
        List<String> warnings = notes.stream().filter(n -> n.contains("other CPU kernels")).toList();
        assertEquals(List.of("evaluator b runs other CPU kernels (ATen AVX2, OpenBLAS Cooperlake) than evaluator a ("
                + HASWELL + "): a member's reward may then depend on which of them evaluated it, so this run may not "
                + "repeat bit for bit; give every node the same OPENBLAS_CORETYPE (docs/operations.md)"), warnings);
        // allowed, not refused: the mixed evaluator is handed work like the others
        probes.get(1).expectMessageClass(EvaluatorProtocol.Work.class, Duration.ofSeconds(30));
        KIT.stop(coordinator);
    }
}
