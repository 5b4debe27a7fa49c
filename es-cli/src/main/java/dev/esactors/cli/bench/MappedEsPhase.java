package dev.esactors.cli.bench;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsReplica;
import dev.esactors.core.es.MasterMemory;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.state.HfExport;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A phase of {@code bench shape}, run in a process of its own: the ES replica a run builds with {@code model.master =
 * mapped} (the fp32 master in a memory-mapped file, a bf16 working copy in memory), one ES iteration of two members
 * on two prompts of eight tokens, eight new tokens each (perturb, decode, restore, update), and a bf16 export of the
 * master. Without a run directory: a checkpoint is the master's fp32 bytes again (30 GB at 7B), more than this
 * benchmark's disk may hold beside the model, the mapped master and the export. Prints each step's seconds.
 */
final class MappedEsPhase {

    static final String STEP = "  step ";

    private MappedEsPhase() {
    }

    static void run(Path model, Path work, PrintWriter out) {
        EsConfig config = EsConfig.paper(1).withPopulation(2, 1e-3, 5e-4);
        long start = System.nanoTime();
        EsModel es = EsModel.load(config, model, DeviceSpec.CPU, DType.BF16, EsReplica.NOISE_CACHE_DEFAULT,
                new MasterMemory.Mapped(work));
        start = step(out, "load: bf16 shards -> fp32 master (mapped) -> bf16 working copy", start);
        BatchGenerator generator = new BatchGenerator(es.decoder());
        List<int[]> prompts = BenchModels.randomPrompts(512, 2, 8); // ids the embedded tokenizer also has
        List<Member> members = config.schedule().members(0, 2, false);
        double[] rewards = new double[members.size()];
        for (int n = 0; n < members.size(); n++) {
            es.replica().perturb(members.get(n));
            start = step(out, "member " + n + ": perturb (master + sigma x noise -> working)", start);
            // any number that differs between members does as a fitness: the first generated token id
            rewards[n] = generator.generate(prompts, 8, Set.of(), SamplingConfig.GREEDY).get(0).tokens()[0];
            start = step(out, "member " + n + ": decode 2 prompts x 8 new tokens", start);
            es.replica().restore();
            start = step(out, "member " + n + ": restore (working <- master)", start);
        }
        es.replica().apply(Update.fromRewards(config, 0, members, rewards));
        start = step(out, "update: noise drawn again, master stepped, working refreshed", start);
        HfExport.write(work.resolve("export"), model, es.replica().master(), DType.BF16);
        step(out, "export the master (bf16)", start);
    }

    private static long step(PrintWriter out, String what, long since) {
        long now = System.nanoTime();
        out.printf(Locale.ROOT, "%s%-64s %6.1f s%n", STEP, what, (now - since) / 1e9);
        out.flush();
        return now;
    }
}
