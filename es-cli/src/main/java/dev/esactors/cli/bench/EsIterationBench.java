package dev.esactors.cli.bench;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceMemory;
import dev.esactors.train.config.RunConfigLoader;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * ES iterations on one replica (two, each timed piece by piece), against plain decoding of the same rollouts: N
 * members x B prompts x T new tokens, each member perturbed, decoded, restored, then the update applied. The
 * overhead ratio is (ES iteration) / (N unperturbed decodes at batch B). Prints figures; asserts nothing.
 */
@Command(name = "es", mixinStandardHelpOptions = true,
        description = "ES iterations against plain decoding of the same rollouts: the ES overhead ratio, the "
                + "perturb/restore and update shares, noise GB/s and peak resident memory over the fp32 model size.")
final class EsIterationBench implements Callable<Integer> {

    @Mixin
    BenchModels models;

    @Option(names = "--population", defaultValue = "8", description = "N (default: ${DEFAULT-VALUE})")
    int population;

    @Option(names = "--batch", defaultValue = "32", description = "prompts per member, B (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--new-tokens", defaultValue = "64", description = "T (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--noise-cache", defaultValue = "auto", description = "memory the replica may keep members' "
            + "noise in, as the run file's model.noise-cache (a size, 0 = none, or auto) (default: ${DEFAULT-VALUE})")
    String noiseCache;

    @Spec
    CommandSpec spec;

    private long noiseCacheBytes;

    @Override
    public Integer call() {
        try { // a bad value is refused before minutes of decoding
            noiseCacheBytes = RunConfigLoader.noiseCache(noiseCache);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--noise-cache " + e.getMessage());
        }
        models.runtime.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("ES iterations: N=%d members x B=%d prompts x T=%d new tokens (prompt %d), one replica, two "
                + "iterations, %d LibTorch threads; overhead = ES iteration / N plain decodes at batch B; kept: "
                + "members whose noise the update reads (--noise-cache); draws: noise drawn, in members; %s%n",
                population, batch, newTokens, promptTokens, torch.get_num_threads(), BenchModels.blas());
        header(out);
        for (String name : models.names()) {
            run(out, name, models.load(name, DType.F32), models.runtime.workingDType());
        }
        return 0;
    }

    private static void header(PrintWriter out) {
        out.printf("%-24s %12s %5s %10s %10s %9s %11s %11s %9s %7s %7s %12s %10s%n", "model", "parameters", "iter",
                "decode s", "ES iter s", "overhead", "pert+rest", "update %", "noise GB/s", "kept", "draws",
                "peak RSS MB", "RSS/fp32");
    }

    /**
     * Times two iterations of {@code fp32} (an F32 model, taken over as the master), a row each: the first pays for
     * memory the replica allocates once (its noise cache's pages are first touched there), the second is what every
     * later iteration of a run costs.
     */
    private void run(PrintWriter out, String name, Decoder fp32, DType working) {
        EsConfig config = EsConfig.paper(1).withPopulation(population, 1e-3, 5e-4);
        EsModel model = EsModel.create(config, fp32, working, noiseCacheBytes);
        List<int[]> prompts = BenchModels.randomPrompts(model.decoder().config().vocabSize(), batch, promptTokens);
        BatchGenerator generator = new BatchGenerator(model.decoder());
        generator.generate(prompts, Math.min(4, newTokens), Set.of(), SamplingConfig.GREEDY); // warm-up
        for (int iteration = 0; iteration < 2; iteration++) {
            iteration(out, name, config, model, generator, prompts, iteration);
        }
    }

    private void iteration(PrintWriter out, String name, EsConfig config, EsModel model, BatchGenerator generator,
                           List<int[]> prompts, int iteration) {
        // Plain decodes and members alternate, so that both see the same (shared, noisy) machine.
        List<Member> members = config.schedule().members(iteration, population, false);
        double[] rewards = new double[population];
        long decodeNanos = 0;
        long memberNanos = 0;
        long perturbNanos = 0;
        long restoreNanos = 0;
        long drawsBefore = model.replica().noiseDraws();
        for (int n = 0; n < population; n++) {
            long start = System.nanoTime();
            generator.generate(prompts, newTokens, Set.of(), SamplingConfig.GREEDY);
            decodeNanos += System.nanoTime() - start;

            start = System.nanoTime();
            model.replica().perturb(members.get(n));
            long perturbed = System.nanoTime();
            // any number that differs between members does as a fitness here: the first generated token id
            rewards[n] = generator.generate(prompts, newTokens, Set.of(), SamplingConfig.GREEDY).get(0).tokens()[0];
            long decoded = System.nanoTime();
            model.replica().restore();
            long end = System.nanoTime();
            perturbNanos += perturbed - start;
            restoreNanos += end - decoded;
            memberNanos += end - start;
        }
        long updateStart = System.nanoTime();
        Update update = Update.fromRewards(config, iteration, members, rewards);
        model.replica().apply(update);
        long updateNanos = System.nanoTime() - updateStart;
        long esNanos = memberNanos + updateNanos;

        long parameters = model.decoder().config().parameterCount();
        double esSeconds = esNanos / 1e9;
        double decodeSeconds = decodeNanos / 1e9;
        // a perturbation regenerates every tensor's noise once (4 bytes per parameter) and adds it to the master
        double noiseGbPerSecond = 4.0 * parameters * population / (perturbNanos / 1e9) / 1e9;
        long peak = DeviceMemory.peakResidentBytes();
        // kept: members whose noise the replica keeps for the update; draws: the model's noise drawn, in members
        double draws = (double) (model.replica().noiseDraws() - drawsBefore) / model.replica().names().size();
        out.printf("%-24s %,12d %5d %10.2f %10.2f %9.3f %10.1f%% %10.1f%% %9.2f %7d %7.1f %12.0f %10.1f%n", name,
                parameters, iteration + 1, decodeSeconds, esSeconds, esSeconds / decodeSeconds,
                100.0 * (perturbNanos + restoreNanos) / esNanos, 100.0 * updateNanos / esNanos, noiseGbPerSecond,
                Math.min(population, model.replica().noiseCacheMembers()), draws, peak / 1e6,
                peak / (4.0 * parameters));
        out.flush();
    }
}
