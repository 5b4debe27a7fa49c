package dev.esactors.core.es;

import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica whose fp32 state (master, anchor, Adam's moments) lives in a memory-mapped file, or in host memory, or is
 * staged range by range through device buffers (as a GPU's replica stages a master kept off the device), computes the
 * same bits as one whose state is in memory, and as a replica built the way runs built theirs before a master could
 * be placed (the model loaded whole in F32, its parameters taken over as the master): same weights after every
 * perturbation, restore and update.
 */
class MasterPlacementTest {

    @TempDir
    Path dir;

    private static List<String> trace(EsModel model) {
        return EsReplicaTest.hashes(model.replica(), 3);
    }

    private static EsModel loaded(EsConfig config, DType working, MasterMemory memory) {
        return EsModel.load(config, EmbeddedModel.directory(), DeviceSpec.CPU, working, 0, memory);
    }

    /**
     * A replica whose master is staged in ranges of {@code stage} elements though it is on the device: the path a
     * GPU's replica takes with a master in host memory, on the CPU (stories260K's tensors of 64 to 32,768 elements
     * take several ranges, remainders, and ranges of a whole tensor).
     */
    private static EsModel staged(EsConfig config, DType working, long noiseChunk, long stage) {
        EsModel base = EsModel.create(config, ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32),
                working, 0);
        return new EsModel(base.decoder(), new EsReplica(config, EsReplica.masterCopy(base.replica().master()),
                base.decoder().parameters(), 0, noiseChunk, MasterMemory.IN_MEMORY, stage));
    }

    @Test
    void aMasterMappedInHostMemoryOrStagedGivesTheBitsOfOneInMemory() throws IOException {
        EsConfig plain = EsConfig.paper(21).withPopulation(4, 1e-2, 1e-2);
        EsConfig[] configs = {
            plain,
            plain.withUpdate(new UpdateRule.Adam(0.9, 0.999, 1e-8, 0.01)).withAnchorDecay(0.5),
            plain.withPerturbation(new Perturbation.LowRank(2, 4)),
        };
        for (EsConfig config : configs) {
            for (DType working : new DType[] {DType.F32, DType.BF16}) {
                String what = config.update() + ", " + config.perturbation() + ", " + working;
                List<String> before = trace(EsModel.create(config, ModelLoader.load(EmbeddedModel.directory(),
                        DeviceSpec.CPU, DType.F32), working, 0));
                assertEquals(before, trace(loaded(config, working, MasterMemory.IN_MEMORY)), "in memory, " + what);
                assertEquals(before, trace(loaded(config, working, new MasterMemory.Mapped(dir))), "mapped, " + what);
                assertEquals(before, trace(loaded(config, working, new MasterMemory.Host())), "host, " + what);
                for (long[] chunks : new long[][] {{EsReplica.NOISE_CHUNK, 100}, {48, 100}, {4096, 7}}) {
                    assertEquals(before, trace(staged(config, working, chunks[0], chunks[1])), "staged in ranges of "
                            + chunks[1] + ", noise in chunks of " + chunks[0] + ", " + what);
                }
            }
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "mapped files are unlinked once mapped");
        }
    }

    @Test
    void aMappedMasterReadsAndWritesTheFileBehindIt() {
        // The mapping is the master's storage: the update's in-place steps land in it (a copy would leave the
        // replica's master at the base weights while its working copy moved).
        EsConfig config = EsConfig.paper(5).withPopulation(2, 1e-2, 1e-2);
        EsModel mapped = loaded(config, DType.F32, new MasterMemory.Mapped(dir));
        String base = mapped.replica().masterHash();
        trace(mapped);
        EsModel inMemory = loaded(config, DType.F32, MasterMemory.IN_MEMORY);
        trace(inMemory);
        assertTrue(!base.equals(mapped.replica().masterHash()), "updates moved the mapped master");
        assertEquals(inMemory.replica().masterHash(), mapped.replica().masterHash());
    }

    @Test
    void aMasterMappedIntoMemoryIsRefusedByName() {
        Path shm = Path.of("/dev/shm"); // a tmpfs on Linux
        EsConfig config = EsConfig.paper(5).withPopulation(2, 1e-2, 1e-2);
        IllegalArgumentException tmpfs = assertThrows(IllegalArgumentException.class,
                () -> loaded(config, DType.F32, new MasterMemory.Mapped(shm)));
        assertTrue(tmpfs.getMessage().contains("/dev/shm") && tmpfs.getMessage().contains("saves no memory"),
                tmpfs.getMessage());
    }
}
