package dev.esactors.core.es;

import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.NoiseMode;
import dev.esactors.core.es.noise.ParameterFilter;
import dev.esactors.core.es.noise.SeedSchedule;
import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Perturbation, exact restore, and updates too small for the working dtype, on stories260K. */
class EsReplicaTest {

    private static EsModel model(EsConfig config, DType working) {
        Decoder fp32 = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        return EsModel.create(config, fp32, working);
    }

    private void restoreIsBitExactOver100Cycles(DType working) {
        EsConfig config = EsConfig.paper(5).withPopulation(30, 1e-3, 5e-4);
        EsReplica replica = model(config, working).replica();
        String working0 = replica.workingHash();
        String master0 = replica.masterHash();
        SeedSchedule schedule = config.schedule();
        for (int cycle = 0; cycle < 100; cycle++) {
            Member member = schedule.members(cycle / 30, 30, false).get(cycle % 30);
            replica.perturb(member);
            assertNotEquals(working0, replica.workingHash(), "perturbation changed the weights, cycle " + cycle);
            replica.restore();
            assertEquals(working0, replica.workingHash(), "restore is bit-exact, cycle " + cycle);
        }
        assertEquals(master0, replica.masterHash(), "the master is never touched by perturbation");
    }

    @Test
    void restoreIsBitExactAfterPerturbationInF32() {
        restoreIsBitExactOver100Cycles(DType.F32);
    }

    @Test
    void restoreIsBitExactAfterPerturbationInBf16() {
        restoreIsBitExactOver100Cycles(DType.BF16);
    }

    @Test
    void perturbationIsSigmaTimesStandardNormalNoise() {
        double sigma = 0.01;
        EsModel m = model(EsConfig.paper(1).withPopulation(2, sigma, 1e-3), DType.F32);
        String name = "model.layers.2.mlp.up_proj.weight";
        float[] before = TensorData.toFloats(m.replica().master().get(name));
        m.replica().perturb(new Member(0, 12345, 1));
        float[] after = TensorData.toFloats(m.decoder().parameters().get(name));
        m.replica().restore();
        double mean = 0;
        double square = 0;
        for (int i = 0; i < before.length; i++) {
            double eps = (after[i] - before[i]) / sigma;
            mean += eps;
            square += eps * eps;
        }
        mean /= before.length;
        double std = Math.sqrt(square / before.length - mean * mean);
        assertEquals(0, mean, 0.05);
        assertEquals(1, std, 0.05);
    }

    @Test
    void tinyUpdatesAccumulateInTheMasterAndReachTheBf16Copy() {
        EsConfig config = EsConfig.paper(3).withPopulation(1, 1e-3, 1e-6);
        EsModel m = model(config, DType.BF16);
        String name = "model.layers.0.self_attn.q_proj.weight";
        Tensor master = m.replica().master().get(name);
        Tensor working = m.decoder().parameters().get(name);
        float[] master0 = TensorData.toFloats(master);
        float[] working0 = TensorData.toFloats(working);
        // The same seed every time: each update moves every element by 1e-6 x eps in the same direction.
        Update tiny = new Update(0, new long[] {777}, new int[] {1}, new double[] {1.0}, new double[] {0}, 1e-6, 1e-3);
        m.replica().apply(tiny);
        int masterChanged = changed(master0, TensorData.toFloats(master));
        int workingChangedAfterOne = changed(working0, TensorData.toFloats(working));
        int steps = 600;
        for (int i = 1; i < steps; i++) {
            m.replica().apply(tiny);
        }
        float[] master600 = TensorData.toFloats(master);
        int workingChanged = changed(working0, TensorData.toFloats(working));
        assertTrue(masterChanged > master0.length * 95 / 100,
                "a 1e-6 step changes the fp32 master: " + masterChanged + " of " + master0.length);
        assertTrue(workingChangedAfterOne < master0.length / 100,
                "one step is below bf16 resolution for nearly every element: " + workingChangedAfterOne);
        assertTrue(workingChanged > master0.length / 2,
                steps + " accumulated steps reach the bf16 working copy: " + workingChanged + " of " + master0.length);
        // Nothing rounded away in the master: it moved by steps x 1e-6 x eps, eps read back from a perturbation.
        EsModel fresh = model(config, DType.F32);
        double[] eps = delta(fresh, name, new Member(0, 777, 1));
        double error = 0;
        double signal = 0;
        for (int i = 0; i < eps.length; i++) {
            double expected = steps * 1e-6 * eps[i] / 1e-3;
            error += Math.pow(master600[i] - master0[i] - expected, 2);
            signal += expected * expected;
        }
        assertTrue(Math.sqrt(error / signal) < 0.01, "relative error of the accumulated master " + Math.sqrt(error / signal));
        // Adding 1e-6 to the bf16 weights directly would round away entirely: that is what the master prevents.
        Tensor step = TensorData.floats(new float[master0.length], TensorData.shape(working)).add_(
                new org.bytedeco.pytorch.Scalar(1e-6)).to(DType.BF16.scalarType());
        Tensor base = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.BF16).parameters().get(name);
        int naiveChanged = changed(TensorData.toFloats(base), TensorData.toFloats(base.add(step)));
        assertTrue(naiveChanged < master0.length / 100, "a 1e-6 step added in bf16 is lost almost everywhere: changed " + naiveChanged);
    }

    /** Per-member working hashes and the master hash after each of two iterations, and the noise draws made. */
    private record Trace(List<String> hashes, long draws, int kept) {
    }

    private static Trace trace(EsConfig config, DType working, long noiseCacheBytes) {
        return trace(config, working, noiseCacheBytes, EsReplica.NOISE_CHUNK);
    }

    private static Trace trace(EsConfig config, DType working, long noiseCacheBytes, long chunk) {
        Decoder fp32 = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        java.util.Map<String, Tensor> copies = new java.util.LinkedHashMap<>();
        fp32.parameters().forEach((name, t) -> copies.put(name, t.to(working.scalarType()).clone()));
        EsReplica replica = new EsReplica(config, fp32.parameters(), copies, noiseCacheBytes, chunk);
        List<String> hashes = hashes(replica, 2);
        return new Trace(hashes, replica.noiseDraws(), replica.noiseCacheMembers());
    }

    /**
     * {@code iterations} ES iterations of {@code replica} with a made-up fitness: the working copy's hash after each
     * perturbation, and the master's and working copy's after each update.
     */
    static List<String> hashes(EsReplica replica, int iterations) {
        EsConfig config = replica.config();
        List<String> hashes = new java.util.ArrayList<>();
        int n = config.populationSize();
        for (int t = 0; t < iterations; t++) {
            List<Member> members = config.schedule().members(t, n, config.antithetic());
            double[] rewards = new double[n];
            for (int k = 0; k < n; k++) {
                replica.perturb(members.get(k));
                hashes.add(replica.workingHash());
                rewards[k] = (k * 7 + t) % 5; // any fitness that differs between members
                replica.restore();
            }
            replica.apply(Update.fromRewards(config, t, members, rewards));
            hashes.add(replica.masterHash());
            hashes.add(replica.workingHash());
        }
        return hashes;
    }

    @Test
    void keptNoiseGivesTheSameBitsAsNoiseDrawnAgain() {
        long memberBytes = 4L * ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32)
                .config().parameterCount();
        for (boolean antithetic : new boolean[] {false, true}) {
            EsConfig config = EsConfig.paper(11).withShaping(FitnessShaping.ZSCORE, antithetic)
                    .withPopulation(6, 1e-2, 1e-2);
            for (DType working : new DType[] {DType.F32, DType.BF16}) {
                String what = (antithetic ? "antithetic, " : "") + working;
                Trace drawn = trace(config, working, 0);
                Trace some = trace(config, working, 2 * memberBytes + memberBytes / 2); // two members of six
                Trace all = trace(config, working, -1); // the default: 1 GiB on a CPU
                assertEquals(0, drawn.kept());
                assertEquals(2, some.kept());
                assertTrue(all.kept() >= 6, "the default keeps every member of a small model: " + all.kept());
                assertEquals(drawn.hashes(), some.hashes(), what + ": two members' noise kept");
                assertEquals(drawn.hashes(), all.hashes(), what + ": every member's noise kept");
                // the draws show where the noise came from: every member twice without the cache (perturbation
                // and update); with it, once per seed, the update drawing only what did not fit
                long tensors = drawn.draws() / (2 * 2 * 6);
                assertEquals(2 * 2 * 6 * tensors, drawn.draws());
                int seeds = antithetic ? 3 : 6;
                assertEquals(2 * seeds * tensors, all.draws(), what);
                // two slots, filled by the first two seeds: per iteration, without mirroring, 6 perturbation draws
                // and 4 in the update; mirrored, 2 seeds drawn once, members 4 and 5 twice each
                assertEquals((antithetic ? 2 * 6 : 2 * 10) * tensors, some.draws(), what);
            }
        }
    }

    @Test
    void noiseDrawnAndSummedInChunksGivesTheSameBits() {
        // Chunks bound the scratch memory of a large model's perturbation and update (its embedding alone is 0.9 GB
        // at Qwen2.5-1.5B's size); stories260K's tensors of 64 to 32,768 elements, in chunks of 48 and 80, take every
        // path: several chunks, remainders, a tensor of one chunk.
        EsConfig plain = EsConfig.paper(13).withPopulation(4, 1e-2, 1e-2);
        EsConfig adam = plain.withUpdate(new UpdateRule.Adam(0.9, 0.999, 1e-8, 0.01)).withAnchorDecay(0.5);
        for (EsConfig config : new EsConfig[] {plain, adam}) {
            for (DType working : new DType[] {DType.F32, DType.BF16}) {
                Trace whole = trace(config, working, 0);
                for (long chunk : new long[] {48, 80}) {
                    assertEquals(whole.hashes(), trace(config, working, 0, chunk).hashes(),
                            config.update() + ", " + working + ", chunks of " + chunk);
                }
                assertEquals(whole.hashes(), trace(config, working, -1, 48).hashes(), "chunks of kept noise");
            }
        }
    }

    @Test
    void onlySelectedParametersMove() {
        EsConfig config = EsConfig.paper(9).withPopulation(2, 1e-2, 1e-2).withNoise(NoiseMode.PER_TENSOR,
                ParameterFilter.matching("mlp\\."));
        EsModel m = model(config, DType.F32);
        Decoder base = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        m.replica().apply(new Update(0, new long[] {1, 2}, new int[] {1, 1}, new double[] {1, -1}, new double[] {1, 0},
                1e-2, 1e-2));
        for (String name : base.parameters().keySet()) {
            boolean moved = !base.parameters().get(name).equal(m.decoder().parameters().get(name));
            assertEquals(name.contains("mlp."), moved, name);
        }
        assertTrue(ParameterFilter.MATRICES.selects("w", new long[] {2, 3}));
        assertTrue(!ParameterFilter.MATRICES.selects("norm", new long[] {3}));
    }

    @Test
    void sharedSeedModeGivesEqualNoiseToEqualShapes() {
        EsModel perTensor = model(EsConfig.paper(1).withPopulation(2, 0.01, 1e-3), DType.F32);
        EsModel shared = model(EsConfig.paper(1).withPopulation(2, 0.01, 1e-3)
                .withNoise(NoiseMode.SHARED_SEED, ParameterFilter.ALL), DType.F32);
        Member member = new Member(0, 99, 1);
        String a = "model.layers.0.mlp.up_proj.weight";
        String b = "model.layers.1.mlp.up_proj.weight";
        // The deltas are sigma x eps up to the fp32 rounding of master + sigma x eps (about 1e-8 here).
        assertTrue(maxDifference(delta(shared, a, member), delta(shared, b, member)) < 1e-6,
                "the paper's code reuses the member seed for every tensor");
        assertTrue(maxDifference(delta(perTensor, a, member), delta(perTensor, b, member)) > 1e-3);
    }

    @Test
    void misuseIsRefused() {
        EsModel m = model(EsConfig.paper(1), DType.F32);
        m.replica().perturb(new Member(0, 1, 1));
        assertThrows(IllegalStateException.class, () -> m.replica().perturb(new Member(1, 2, 1)));
        assertThrows(IllegalStateException.class, () -> m.replica().apply(
                new Update(0, new long[] {1}, new int[] {1}, new double[] {1}, new double[] {1}, 1e-3, 1e-3)));
        m.replica().restore();
        assertThrows(IllegalArgumentException.class, () -> new EsReplica(EsConfig.paper(1),
                m.replica().master(), m.replica().master()));
        assertThrows(IllegalArgumentException.class, () -> EsConfig.paper(1).withShaping(FitnessShaping.ZSCORE, true)
                .withPopulation(3, 1e-3, 1e-3));
    }

    @Test
    void anchorDecayPullsTheWeightsTowardTheBaseNotTowardZero() {
        String name = "model.layers.0.mlp.down_proj.weight";
        double alpha = 0.1;
        double anchor = 2.0; // each decay step closes alpha x anchor = 20% of the distance to the base
        EsConfig plain = EsConfig.paper(3).withPopulation(4, 0.05, alpha);
        for (boolean anchored : new boolean[] {true, false}) {
            // anchored: decay toward the base; otherwise the same strength of ordinary weight decay, toward zero
            EsConfig config = anchored ? plain.withAnchorDecay(anchor) : plain.withUpdate(new UpdateRule.Plain(anchor));
            EsReplica replica = model(config, DType.F32).replica();
            float[] base = TensorData.toFloats(replica.master().get(name));
            List<Member> members = config.schedule().members(0, 4, false);
            long[] seeds = members.stream().mapToLong(Member::seed).toArray();
            int[] signs = members.stream().mapToInt(Member::sign).toArray();
            // a real step away from the base (which the decay also acts on), then steps of zero signal: decay alone
            replica.apply(new Update(0, seeds, signs, new double[] {1, -1, 0.5, -0.5}, new double[4], alpha, 0.05));
            float[] moved = TensorData.toFloats(replica.master().get(name));
            replica.apply(new Update(1, seeds, signs, new double[4], new double[4], alpha, 0.05));
            float[] decayed = TensorData.toFloats(replica.master().get(name));
            double distanceBefore = 0;
            double distanceAfter = 0;
            double normBase = 0;
            double normMoved = 0;
            double normAfter = 0;
            for (int i = 0; i < base.length; i++) {
                distanceBefore += Math.pow(moved[i] - base[i], 2);
                distanceAfter += Math.pow(decayed[i] - base[i], 2);
                normBase += Math.pow(base[i], 2);
                normMoved += Math.pow(moved[i], 2);
                normAfter += Math.pow(decayed[i], 2);
                if (anchored) {
                    double expected = (1 - alpha * anchor) * moved[i] + alpha * anchor * base[i];
                    assertEquals(expected, decayed[i], 1e-6, "element " + i + " moved 20% of the way to its base");
                }
            }
            if (anchored) {
                assertEquals(0.8, Math.sqrt(distanceAfter / distanceBefore), 1e-4, "the distance to the base shrinks");
                assertEquals(1, Math.sqrt(normAfter / normBase), 0.05, "the weights keep about the base's size");
            } else {
                assertEquals(0.8, Math.sqrt(normAfter / normMoved), 1e-4, "weight decay shrinks the weights to zero");
                assertTrue(distanceAfter > distanceBefore, "and away from the base");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> plain.withAnchorDecay(11), "alpha x decay above 1");
        assertNotEquals(plain.hash(), plain.withAnchorDecay(anchor).hash(), "part of the config hash");
    }

    private static double[] delta(EsModel m, String name, Member member) {
        float[] before = TensorData.toFloats(m.replica().master().get(name));
        m.replica().perturb(member);
        float[] after = TensorData.toFloats(m.decoder().parameters().get(name));
        m.replica().restore();
        double[] d = new double[before.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        return d;
    }

    private static double maxDifference(double[] a, double[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    private static int changed(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                n++;
            }
        }
        return n;
    }

}
