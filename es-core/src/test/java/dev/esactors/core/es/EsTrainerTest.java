package dev.esactors.core.es;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateJournal;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.RopeConfig;
import dev.esactors.core.state.CheckpointStore;
import dev.esactors.core.state.RunFence;
import dev.esactors.core.state.RunManifest;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Determinism of the ES loop: reruns, resumes, journal replay and damaged state all give the same weights. */
class EsTrainerTest {

    private static final ModelConfig TINY = new ModelConfig(Architecture.LLAMA, 32, 64, 2, 4, 2, 8, 64, 64, 1e-5,
            RopeConfig.plain(10000), true, false, false, false, 1, List.of(2), -1, 0.5);
    private static final EsConfig CONFIG = EsConfig.paper(2026).withPopulation(8, 0.05, 0.02);
    private static final int ITERATIONS = 6;
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 5}, new int[] {1, 9, 13}, new int[] {1},
            new int[] {1, 40, 41, 42});

    @TempDir
    static Path root;
    private static Path reference;
    private static String referenceHash;

    /** A trainer on a fresh replica of the seeded tiny model, opened on {@code runDir}. */
    private static EsTrainer trainer(EsConfig config, Path runDir, int checkpointEvery, List<String> log) {
        Decoder fp32 = ModelLoader.random(TINY, 4, DeviceSpec.CPU, DType.F32);
        EsModel model = EsModel.create(config, fp32, DType.F32);
        // Reward: the share of generated tokens in the lower half of the vocabulary.
        CompletionFitness fitness = new CompletionFitness(model.decoder(), PROMPTS, 8, Set.of(), (i, c) -> {
            long low = java.util.Arrays.stream(c.tokens()).filter(t -> t < 32).count();
            return (double) low / c.tokens().length;
        });
        return new EsTrainer(model.replica(), fitness, runDir, "tiny-llama/lower-half", checkpointEvery, 3, log::add);
    }

    @BeforeAll
    static void uninterruptedRun() {
        reference = root.resolve("reference");
        try (EsTrainer t = trainer(CONFIG, reference, 2, new ArrayList<>())) {
            List<EsTrainer.IterationResult> results = t.runUntil(ITERATIONS);
            assertEquals(ITERATIONS, results.size());
            referenceHash = t.replica().masterHash();
            double spread = results.stream().mapToDouble(r -> {
                double[] rw = r.update().rewards();
                return java.util.Arrays.stream(rw).max().orElse(0) - java.util.Arrays.stream(rw).min().orElse(0);
            }).max().orElse(0);
            assertTrue(spread > 0, "members earned different rewards, so the updates are not trivial");
        }
    }

    private static String hashAfterOpening(Path runDir, List<String> log) {
        try (EsTrainer t = trainer(CONFIG, runDir, 2, log)) {
            t.runUntil(ITERATIONS);
            return t.replica().masterHash();
        }
    }

    @Test
    void sameSeedAndConfigGiveTheSameWeightHash() {
        String rerun = hashAfterOpening(root.resolve("rerun"), new ArrayList<>());
        assertEquals(referenceHash, rerun);
        try (EsTrainer base = trainer(CONFIG, root.resolve("untrained"), 0, new ArrayList<>())) {
            assertNotEquals(referenceHash, base.replica().masterHash(), "training changed the weights");
        }
    }

    @Test
    void resumingFromACheckpointGivesTheUninterruptedHash() {
        Path dir = root.resolve("interrupted");
        try (EsTrainer t = trainer(CONFIG, dir, 2, new ArrayList<>())) {
            t.runUntil(3); // checkpoint at 2, journal at 3: then the process "dies"
        }
        List<String> log = new ArrayList<>();
        assertEquals(referenceHash, hashAfterOpening(dir, log));
        assertTrue(log.stream().anyMatch(l -> l.contains("resumed from checkpoint") && l.contains("iteration 2")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("replayed 1 journal records")), log.toString());
    }

    @Test
    void journalReplayFromTheBaseModelGivesTheSameHash() throws IOException {
        Path dir = Files.createDirectories(root.resolve("journal-only"));
        Files.copy(reference.resolve("journal.jsonl"), dir.resolve("journal.jsonl"));
        try (EsTrainer t = trainer(CONFIG, dir, 0, new ArrayList<>())) {
            assertEquals(ITERATIONS, t.nextIteration());
            assertEquals(referenceHash, t.replica().masterHash());
        }
    }

    /** A replica at the base weights of a tiny model seeded {@code seed} (4: the runs' base). */
    private static EsReplica baseReplica(long seed) {
        return EsModel.create(CONFIG, ModelLoader.random(TINY, seed, DeviceSpec.CPU, DType.F32), DType.F32).replica();
    }

    @Test
    void anyIterationIsRebuiltFromTheJournalWithoutTouchingTheRun() throws IOException {
        byte[] journal = Files.readAllBytes(reference.resolve("journal.jsonl"));
        EsReplica audit = baseReplica(4);
        String configHash = EsRun.configHash(audit, "tiny-llama/lower-half");
        JournalReplay.Result all = JournalReplay.replay(audit, configHash, reference, ITERATIONS, true, s -> { });
        assertEquals(referenceHash, all.masterHash());
        assertEquals(0, all.from());
        assertEquals(reference.resolve("checkpoints/iter-00000006"), all.checked().orElseThrow());

        JournalReplay.Result viaCheckpoint = JournalReplay.replay(baseReplica(4), configHash, reference, 5, false,
                s -> { });
        assertEquals(4, viaCheckpoint.from(), "starts at the checkpoint of iteration 4");
        assertTrue(viaCheckpoint.checked().isEmpty(), "no checkpoint at 5 to compare with");
        JournalReplay.Result fromBase = JournalReplay.replay(baseReplica(4), configHash, reference, 5, true, s -> { });
        assertEquals(viaCheckpoint.masterHash(), fromBase.masterHash());
        assertNotEquals(referenceHash, fromBase.masterHash());
        assertTrue(java.util.Arrays.equals(journal, Files.readAllBytes(reference.resolve("journal.jsonl"))));

        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                () -> JournalReplay.replay(baseReplica(4), configHash, reference, 7, false, s -> { }));
        assertTrue(beyond.getMessage().contains("holds 6 updates"), beyond.getMessage());
    }

    @Test
    void aReplayThatDisagreesWithTheCheckpointIsAnError() {
        String configHash = EsRun.configHash(baseReplica(4), "tiny-llama/lower-half");
        // Other base weights under the run's hash: what a replaced base model or changed noise code would give.
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> JournalReplay.replay(baseReplica(5), configHash, reference, ITERATIONS, true, s -> { }));
        assertTrue(e.getMessage().contains("iter-00000006") && e.getMessage().contains("differ"), e.getMessage());
    }

    @Test
    void truncatedLastJournalRecordIsDroppedAndRecomputed() throws IOException {
        Path dir = copyOf(reference, "torn-journal");
        deleteTree(dir.resolve("checkpoints"));
        Path journal = dir.resolve("journal.jsonl");
        try (RandomAccessFile f = new RandomAccessFile(journal.toFile(), "rw")) {
            f.setLength(f.length() - 25);
        }
        List<String> log = new ArrayList<>();
        assertEquals(referenceHash, hashAfterOpening(dir, log));
        assertTrue(log.stream().anyMatch(l -> l.contains("dropped a damaged last record at line 6")), log.toString());
    }

    @Test
    void corruptNewestCheckpointFallsBackToTheLastGoodOne() throws IOException {
        Path dir = copyOf(reference, "bad-checkpoint");
        Path newest = dir.resolve("checkpoints/iter-00000006/" + CheckpointStore.WEIGHTS);
        try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
            f.seek(f.length() - 3);
            f.write(new byte[] {1, 2, 3});
        }
        List<String> log = new ArrayList<>();
        try (EsTrainer t = trainer(CONFIG, dir, 2, log)) {
            assertEquals(referenceHash, t.replica().masterHash());
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("iter-00000006") && l.contains("damaged")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("resumed from checkpoint") && l.contains("iteration 4")), log.toString());
    }

    @Test
    void aDifferentConfigIsRefused() throws IOException {
        Path dir = copyOf(reference, "other-config");
        EsConfig other = CONFIG.withPopulation(8, 0.05, 0.03);
        String m = assertThrows(IllegalStateException.class, () -> trainer(other, dir, 2, new ArrayList<>())).getMessage();
        assertTrue(m.contains("refusing"), m);
        Files.delete(dir.resolve(RunManifest.FILE));
        String m2 = assertThrows(IllegalStateException.class, () -> trainer(other, dir, 2, new ArrayList<>())).getMessage();
        assertTrue(m2.contains("config hash") && m2.contains("refusing"), m2);
    }

    @Test
    void checkpointsKeepOnlyTheNewest() {
        List<Long> kept = new CheckpointStore(reference.resolve("checkpoints"), 3).iterations();
        assertEquals(List.of(6L, 4L, 2L), kept);
    }

    @Test
    void failingFitnessCountsAsWorstAndTheRunGoesOn() {
        Decoder fp32 = ModelLoader.random(TINY, 4, DeviceSpec.CPU, DType.F32);
        EsModel model = EsModel.create(CONFIG, fp32, DType.F32);
        List<String> log = new ArrayList<>();
        FitnessFunction flaky = (iteration, member) -> {
            if (member.index() == 3) {
                throw new IllegalStateException("reward crashed");
            }
            return member.index() == 5 ? Double.NaN : member.index();
        };
        try (EsTrainer t = new EsTrainer(model.replica(), flaky, root.resolve("flaky"), "flaky", 0, 1, log::add)) {
            EsTrainer.IterationResult r = t.step();
            assertEquals(2, r.failedMembers());
            assertEquals(1, t.nextIteration());
            assertTrue(Double.isNaN(r.update().rewards()[3]), "raw rewards keep the failure");
            double[] c = r.update().coefficients();
            assertEquals(c[0], c[3], 1e-12, "a failed member is shaped like the worst one");
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("reward crashed")), log.toString());
    }

    /**
     * Odd iterations carry no signal (every member scores 0.5); even ones score the lower-half share. Adam with
     * weight decay would move the weights even on a zero update, so only a skip leaves them as they were.
     */
    private static EsTrainer tiedTrainer(EsConfig config, Path runDir, int checkpointEvery) {
        Decoder fp32 = ModelLoader.random(TINY, 4, DeviceSpec.CPU, DType.F32);
        EsModel model = EsModel.create(config, fp32, DType.F32);
        CompletionFitness lowerHalf = new CompletionFitness(model.decoder(), PROMPTS, 8, Set.of(), (i, c) ->
                (double) java.util.Arrays.stream(c.tokens()).filter(t -> t < 32).count() / c.tokens().length);
        FitnessFunction fitness = (iteration, member) -> iteration % 2 == 1 ? 0.5 : lowerHalf.evaluate(iteration,
                member);
        return new EsTrainer(model.replica(), fitness, runDir, "tiny-llama/tied-odd", checkpointEvery, 3, s -> { });
    }

    @Test
    void anIterationWithoutSignalIsJournalledAsSkippedChangesNothingAndResumesToTheSameHash() throws IOException {
        EsConfig config = CONFIG.withUpdate(new UpdateRule.Adam(0.9, 0.999, 1e-8, 0.5));
        Path dir = root.resolve("tied");
        List<String> hashes = new ArrayList<>();
        try (EsTrainer t = tiedTrainer(config, dir, 0)) {
            hashes.add(t.replica().masterHash());
            for (int i = 0; i < 4; i++) {
                EsTrainer.IterationResult r = t.step();
                assertEquals(i % 2 == 1, r.update().skipped(), "iteration " + i + ": " + r.update());
                assertEquals(i % 2 == 1, r.update().distinctRewards() == 1, "one reward value exactly when tied");
                hashes.add(t.replica().masterHash());
            }
        }
        assertNotEquals(hashes.get(0), hashes.get(1), "iteration 0 had signal and moved the weights");
        assertEquals(hashes.get(1), hashes.get(2), "iteration 1 had none: no step, no decay, no Adam step");
        assertNotEquals(hashes.get(2), hashes.get(3));
        assertEquals(hashes.get(3), hashes.get(4));
        List<String> lines = Files.readAllLines(dir.resolve("journal.jsonl"));
        assertEquals(4, lines.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i % 2 == 1, lines.get(i).contains("\"skipped\":true"), lines.get(i));
        }
        assertEquals(List.of(false, true, false, true), UpdateJournal.read(dir.resolve("journal.jsonl")).stream()
                .map(Update::skipped).toList(), "journalled as skipped");

        // stopped right after the skipped iteration 1 without a checkpoint: the resume replays the skipped record
        Path resumed = root.resolve("tied-resumed");
        try (EsTrainer t = tiedTrainer(config, resumed, 0)) {
            t.runUntil(2);
        }
        try (EsTrainer t = tiedTrainer(config, resumed, 0)) {
            assertEquals(2, t.nextIteration());
            t.runUntil(4);
            assertEquals(hashes.get(4), t.replica().masterHash(), "bit-identical after a resume");
        }
        // and from a checkpoint taken at the skipped iteration (Adam's step count is part of it)
        Path checkpointed = root.resolve("tied-checkpointed");
        try (EsTrainer t = tiedTrainer(config, checkpointed, 2)) {
            t.runUntil(2);
        }
        try (EsTrainer t = tiedTrainer(config, checkpointed, 2)) {
            t.runUntil(4);
            assertEquals(hashes.get(4), t.replica().masterHash(), "bit-identical after a checkpointed resume");
        }
    }

    @Test
    void anIterationInWhichEveryMemberFailedStopsTheRunBeforeItIsJournalled() {
        Decoder fp32 = ModelLoader.random(TINY, 4, DeviceSpec.CPU, DType.F32);
        EsModel model = EsModel.create(CONFIG, fp32, DType.F32);
        FitnessFunction broken = (iteration, member) -> {
            throw new IllegalStateException("reward crashed on member " + member.index());
        };
        try (EsTrainer t = new EsTrainer(model.replica(), broken, root.resolve("broken"), "broken", 0, 1, s -> { })) {
            IllegalStateException e = assertThrows(IllegalStateException.class, t::step);
            assertTrue(e.getMessage().startsWith("iteration 0: all " + CONFIG.populationSize() + " members failed ("
                    + "java.lang.IllegalStateException: reward crashed on member 0)"), e.getMessage());
            assertEquals(0, t.nextIteration(), "nothing journalled");
        }
    }

    @Test
    void aCoordinatorWhoseDirectoryWasTakenOverStopsWritingAndItsSuccessorEndsWithTheUninterruptedHash()
            throws IOException {
        Path dir = root.resolve("fenced");
        try (EsTrainer zombie = trainer(CONFIG, dir, 2, new ArrayList<>())) {
            zombie.runUntil(3);
            // On a shared volume whose locks do not hold, a successor opens the directory while this one still runs:
            // it takes the next fencing epoch.
            RunFence successor = RunFence.take(dir);
            assertEquals(2, successor.epoch());
            byte[] journal = Files.readAllBytes(dir.resolve("journal.jsonl"));
            IllegalStateException e = assertThrows(IllegalStateException.class, zombie::step);
            assertTrue(e.getMessage().contains("taken over by another coordinator (epoch 2, pid ")
                    && e.getMessage().contains("this one stops writing"), e.getMessage());
            assertArrayEquals(journal, Files.readAllBytes(dir.resolve("journal.jsonl")), "nothing written");
            assertThrows(IllegalStateException.class, zombie::checkpoint, "no checkpoint either");
        }
        List<String> log = new ArrayList<>();
        assertEquals(referenceHash, hashAfterOpening(dir, log), "the successor resumes to the uninterrupted hash");
        assertTrue(Files.readString(dir.resolve(RunFence.FILE)).startsWith("3 "), "one more epoch per opening");
    }

    @Test
    void theJournalRefusesToAppendOverSomeoneElsesRecord() throws IOException {
        Path dir = root.resolve("foreign-append");
        try (EsTrainer t = trainer(CONFIG, dir, 0, new ArrayList<>())) {
            t.runUntil(1);
            byte[] foreign = "{\"iteration\":1} 0\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Files.write(dir.resolve("journal.jsonl"), foreign, java.nio.file.StandardOpenOption.APPEND);
            byte[] before = Files.readAllBytes(dir.resolve("journal.jsonl"));
            IllegalStateException e = assertThrows(IllegalStateException.class, t::step);
            assertTrue(e.getMessage().contains("another process wrote to the journal"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(dir.resolve("journal.jsonl")), "the record is not overwritten");
        }
    }

    private static Path copyOf(Path source, String name) throws IOException {
        Path target = root.resolve(name);
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path p : walk.toList()) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return target;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
