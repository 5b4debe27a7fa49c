package dev.esactors.core.es;

import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.testing.ChildJvm;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A low-rank update sums each element over the members in one BLAS matrix product; a replica with another thread
 * count (an evaluator node started with OMP_NUM_THREADS=1, a coordinator with all cores) must still get the same
 * bits. A child JVM with one BLAS thread applies the same updates as this JVM (all cores).
 */
class LowRankThreadsTest {

    /** Applies three seeded low-rank updates (N=300, rank from args[0]) to stories260K; prints the master hash. */
    public static void main(String[] args) {
        System.out.println(hashAfterUpdates(Integer.parseInt(args[0])));
    }

    static String hashAfterUpdates(int rank) {
        int n = 300;
        Decoder fp32 = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        EsConfig config = EsConfig.paper(1).withPopulation(n, 1e-2, 5e-3)
                .withPerturbation(new Perturbation.LowRank(rank, 8));
        EsModel model = EsModel.create(config, fp32, DType.F32);
        for (int t = 0; t < 3; t++) {
            List<Member> members = config.schedule().members(t, n, false);
            double[] rewards = new double[n];
            for (int i = 0; i < n; i++) {
                rewards[i] = Math.sin(i * 7.1 + t);
            }
            model.replica().apply(Update.fromRewards(config, t, members, rewards));
        }
        return model.replica().masterHash();
    }

    private static String inChildWithOneThread(int rank) throws Exception {
        List<String> lines = ChildJvm.run(LowRankThreadsTest.class, List.of(), 120, Integer.toString(rank));
        return lines.get(lines.size() - 1).trim();
    }

    @Test
    void oneBlasThreadAndAllCoresGiveTheSameWeights() throws Exception {
        for (int rank : new int[] {1, 4}) {
            assertEquals(hashAfterUpdates(rank), inChildWithOneThread(rank), "rank " + rank);
        }
    }
}
