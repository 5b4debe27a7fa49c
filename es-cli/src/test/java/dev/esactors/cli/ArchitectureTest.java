package dev.esactors.cli;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.esactors.cli.fixture.coordinator.CoordinatorKnowingTheEvaluator;
import dev.esactors.cli.fixture.es.noise.NoiseKnowingTheUpdate;
import dev.esactors.cli.fixture.es.update.FixtureUpdate;
import dev.esactors.cli.fixture.evaluator.FixtureEvaluator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The house rules of docs/architecture.md, checked on the compiled main classes of every module (es-cli sees them
 * all): a run is a library without actors, the CLI is a leaf, es-core knows no task and no actor, es-rewards no
 * tensor, and no two packages need each other.
 */
class ArchitectureTest {

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.esactors");
    }

    /** The rule for a run library in {@code trainPackage}: no Akka, nothing of the actors in {@code actorsPackage}. */
    static ArchRule trainHasNoActors(String trainPackage, String actorsPackage) {
        return noClasses().that().resideInAPackage(trainPackage + "..")
                .should().dependOnClassesThat().resideInAnyPackage("akka..", actorsPackage + "..")
                .because("a run is a library that one process can drive without an actor system");
    }

    @Test
    void trainImportsNothingOfAkkaOrTheActors() {
        assertTrue(main.containPackage("dev.esactors.train"), "the run library is imported");
        trainHasNoActors("dev.esactors.train", "dev.esactors.actors").check(main);
    }

    @Test
    void theRuleCatchesAForbiddenImport() {
        // A class of a run library that reaches for Akka (test fixture below): the same rule must refuse it.
        JavaClasses fixture = new ClassFileImporter().importClasses(ForbiddenTrainClass.class);
        EvaluationResult result = trainHasNoActors("dev.esactors.cli", "dev.esactors.actors").evaluate(fixture);
        assertTrue(result.hasViolation(), "the rule sees an Akka import");
        assertFalse(trainHasNoActors("dev.esactors.cli", "dev.esactors.actors")
                .evaluate(new ClassFileImporter().importClasses(ArchitectureTest.class)).hasViolation(),
                "and passes a class without one");
    }

    /** The rule for durable run state in {@code statePackage}: it serves every method, so it knows none of them. */
    static ArchRule durableStateKnowsNoMethod(String statePackage) {
        return noClasses().that().resideInAPackage(statePackage + "..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.esactors.core.es..", "dev.esactors.core.rl..",
                        "dev.esactors.core.model..")
                .because("a run directory's lock, fence, manifest and checkpoints serve ES and GRPO alike; the "
                        + "methods build on them, not the other way round");
    }

    @Test
    void durableStateImportsNoTrainingMethod() {
        assertTrue(main.containPackage("dev.esactors.core.state"), "the durable state is imported");
        durableStateKnowsNoMethod("dev.esactors.core.state").check(main);
    }

    @Test
    void theStateRuleCatchesAMethodImport() {
        JavaClasses fixture = new ClassFileImporter().importClasses(ForbiddenStateClass.class);
        assertTrue(durableStateKnowsNoMethod("dev.esactors.cli").evaluate(fixture).hasViolation(),
                "the rule sees state that reaches for the ES replica");
        assertFalse(durableStateKnowsNoMethod("dev.esactors.cli")
                .evaluate(new ClassFileImporter().importClasses(ArchitectureTest.class)).hasViolation(),
                "and passes a class without one");
    }

    /**
     * The coordinator and the evaluators run on different nodes: their packages know each other's protocols (the
     * wire package), never each other, and the wire package knows no actor.
     */
    static ArchRule actorsMeetOnlyOnTheWire(String actors) {
        String because = "the coordinator and the evaluators meet only through the messages of the wire package";
        return CompositeArchRule.of(noClasses().that().resideInAPackage(actors + ".coordinator..")
                        .should().dependOnClassesThat().resideInAnyPackage(actors + ".evaluator..", actors + ".node..")
                        .because(because).allowEmptyShould(true))
                .and(noClasses().that().resideInAPackage(actors + ".evaluator..")
                        .should().dependOnClassesThat().resideInAnyPackage(actors + ".coordinator..",
                                actors + ".node..")
                        .because(because).allowEmptyShould(true))
                .and(noClasses().that().resideInAPackage(actors + ".wire..")
                        .should().dependOnClassesThat().resideInAnyPackage(actors + ".coordinator..",
                                actors + ".evaluator..", actors + ".node..")
                        .because(because).allowEmptyShould(true));
    }

    @Test
    void theActorsMeetOnlyOnTheWire() {
        for (String p : List.of("coordinator", "evaluator", "wire", "node")) {
            assertTrue(main.containPackage("dev.esactors.actors." + p), "the actors' " + p + " package is imported");
        }
        actorsMeetOnlyOnTheWire("dev.esactors.actors").check(main);
    }

    @Test
    void theActorsRuleCatchesACoordinatorThatKnowsTheEvaluator() {
        JavaClasses fixture = new ClassFileImporter().importClasses(CoordinatorKnowingTheEvaluator.class,
                FixtureEvaluator.class);
        assertTrue(actorsMeetOnlyOnTheWire("dev.esactors.cli.fixture").evaluate(fixture).hasViolation(),
                "the rule sees a coordinator that imports the evaluator");
        assertFalse(actorsMeetOnlyOnTheWire("dev.esactors.cli.fixture").evaluate(new ClassFileImporter()
                .importClasses(FixtureEvaluator.class)).hasViolation(), "and passes an evaluator alone");
    }

    /**
     * ES in layers: noise (seeds, streams, perturbation shapes) knows neither the update rule nor the engine; the
     * update rule (shaping, updates, optimizers, the journal) knows noise but not the engine (replica, trainer, run)
     * in {@code es} itself, which builds on both.
     */
    static ArchRule esLayers(String es) {
        return CompositeArchRule.of(noClasses().that().resideInAPackage(es + ".noise..")
                        .should().dependOnClassesThat().resideInAnyPackage(es, es + ".update..")
                        .because("noise is what every member and every update regenerates; it decides nothing")
                        .allowEmptyShould(true))
                .and(noClasses().that().resideInAPackage(es + ".update..")
                        .should().dependOnClassesThat().resideInAPackage(es)
                        .because("an update is a pure function of seeds and rewards, shared by the actors and the "
                                + "single-process loop; the engine applies it")
                        .allowEmptyShould(true));
    }

    @Test
    void esIsLayeredNoiseThenUpdateThenEngine() {
        assertTrue(main.containPackage("dev.esactors.core.es.noise") && main.containPackage(
                "dev.esactors.core.es.update"), "the ES noise and update packages are imported");
        esLayers("dev.esactors.core.es").check(main);
    }

    @Test
    void theEsRuleCatchesNoiseThatKnowsTheUpdate() {
        assertTrue(esLayers("dev.esactors.cli.fixture.es").evaluate(new ClassFileImporter().importClasses(
                NoiseKnowingTheUpdate.class, FixtureUpdate.class)).hasViolation(), "noise importing an update is seen");
        assertFalse(esLayers("dev.esactors.cli.fixture.es").evaluate(new ClassFileImporter().importClasses(
                FixtureUpdate.class)).hasViolation(), "and an update alone passes");
    }

    /** Benchmarks are classes of their own in a bench package, never options of a production class. */
    static ArchRule benchmarksLiveInBenchPackages() {
        return classes().that().haveSimpleNameEndingWith("Bench").should().resideInAPackage("..bench..")
                .because("a benchmark is its own class (bench SUBCOMMAND), never a switch inside production code")
                .allowEmptyShould(true); // a fixture without benchmarks passes
    }

    @Test
    void everyBenchmarkIsInABenchPackage() {
        assertTrue(main.containPackage("dev.esactors.cli.bench"), "the benchmarks are imported");
        benchmarksLiveInBenchPackages().check(main);
    }

    @Test
    void theBenchRuleCatchesABenchmarkOutsideABenchPackage() {
        assertTrue(benchmarksLiveInBenchPackages().evaluate(new ClassFileImporter().importClasses(StrayBench.class))
                .hasViolation(), "a benchmark in dev.esactors.cli is seen");
        assertFalse(benchmarksLiveInBenchPackages().evaluate(new ClassFileImporter()
                .importClasses(ArchitectureTest.class)).hasViolation(), "and a class that is no benchmark passes");
    }

    @Test
    void nothingOutsideTheCliImportsIt() {
        noClasses().that().resideOutsideOfPackage("dev.esactors.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.esactors.cli..")
                .check(main);
    }

    @Test
    void esCoreImportsNoTaskNoRunAndNoActor() {
        noClasses().that().resideInAPackage("dev.esactors.core..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.esactors.rewards..", "dev.esactors.train..",
                        "dev.esactors.actors..", "akka..")
                .check(main);
    }

    @Test
    void esRewardsImportsNoTensorCode() {
        noClasses().that().resideInAPackage("dev.esactors.rewards..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco..", "dev.esactors.core..",
                        "dev.esactors.train..", "dev.esactors.actors..")
                .check(main);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.esactors.(**)").should().beFreeOfCycles().check(main);
    }

    /** A stand-in for a run-library class that imports Akka: what {@link #theRuleCatchesAForbiddenImport} refuses. */
    static final class ForbiddenTrainClass {
        akka.actor.typed.ActorRef<String> leaked;
    }

    /** A benchmark outside a bench package: what {@link #theBenchRuleCatchesABenchmarkOutsideABenchPackage} refuses. */
    static final class StrayBench {
    }

    /** A stand-in for durable state that knows a method: what {@link #theStateRuleCatchesAMethodImport} refuses. */
    static final class ForbiddenStateClass {
        dev.esactors.core.es.EsReplica replica;
    }
}
