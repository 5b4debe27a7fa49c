package dev.esactors.cli.bench;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.noise.LowRankPass;
import dev.esactors.core.es.noise.Member;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DType;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * Member evaluations per second of full-rank ES (perturb the weights, decode B prompts, restore; one member at a
 * time) against low-rank ES (P members' perturbations inside one batched decode of P x B rows), on the same
 * prompts, interleaved group by group so that both see the same noisy machine; and the cost of each mode's update.
 * Beside them, plain greedy decoding of the same P x B rows with the unperturbed weights (each row prefilled, as
 * the low-rank pass does): the limit a low-rank population approaches, whose fraction EGGROLL reports (about 91%).
 * Prints figures; asserts nothing.
 */
@Command(name = "low-rank", mixinStandardHelpOptions = true,
        description = "Member evaluations per second of full-rank ES (one member per decode) against low-rank ES "
                + "(P members per batched decode), and each mode's update.")
final class LowRankBench implements Callable<Integer> {

    @Mixin
    BenchModels models;

    @Option(names = "--members-per-pass", split = ",", defaultValue = "8,32",
            description = "P values to time (default: ${DEFAULT-VALUE})")
    List<Integer> membersPerPass;

    @Option(names = "--population", defaultValue = "32", description = "N (default: ${DEFAULT-VALUE})")
    int population;

    @Option(names = "--batch", defaultValue = "4", description = "prompts per member, B (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--new-tokens", defaultValue = "32", description = "T (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--rank", defaultValue = "1", description = "r (default: ${DEFAULT-VALUE})")
    int rank;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        models.runtime.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Low-rank ES: N=%d members x B=%d prompts x T=%d new tokens (prompt %d), rank %d, %d LibTorch "
                        + "threads; full rank decodes one member at a time, low rank P members per pass; %s%n",
                population, batch, newTokens, promptTokens, rank, torch.get_num_threads(), BenchModels.blas());
        header(out);
        for (String name : models.names()) {
            for (int p : membersPerPass) {
                run(out, name, models.load(name, DType.F32), models.load(name, DType.F32),
                        models.runtime.workingDType(), p);
            }
        }
        return 0;
    }

    private static void header(PrintWriter out) {
        out.printf("%-24s %4s %13s %13s %8s %13s %13s %13s %9s%n", "model", "P", "full evals/s", "low-rank ev/s",
                "speed-up", "full update s", "low update s", "decode tok/s", "of decode");
    }

    /** Times N members both ways with {@code perPass} members per low-rank pass; prints one row. */
    private void run(PrintWriter out, String name, Decoder fp32Full, Decoder fp32Low, DType working, int perPass) {
        EsConfig full = EsConfig.paper(1).withPopulation(population, 1e-2, 5e-3);
        EsConfig low = full.withPerturbation(new Perturbation.LowRank(rank, perPass));
        EsModel fullModel = EsModel.create(full, fp32Full, working);
        EsModel lowModel = EsModel.create(low, fp32Low, working);
        List<int[]> prompts = BenchModels.randomPrompts(fullModel.decoder().config().vocabSize(), batch, promptTokens);
        BatchGenerator fullGenerator = new BatchGenerator(fullModel.decoder());
        BatchGenerator lowGenerator = new BatchGenerator(lowModel.decoder());
        // every row its own prefill: rows repeat the prompts member by member, which a plain decode would share
        BatchGenerator plainGenerator = new BatchGenerator(fullModel.decoder(), false);
        List<Member> members = full.schedule().members(0, population, false);
        fullGenerator.generate(prompts, Math.min(4, newTokens), Set.of(), SamplingConfig.GREEDY); // warm-ups
        List<Member> firstGroup = members.subList(0, Math.min(population, perPass));
        List<int[]> warmRows = new ArrayList<>();
        firstGroup.forEach(m -> warmRows.addAll(prompts));
        try (LowRankPass pass = lowModel.replica().lowRankPass(firstGroup)) {
            lowGenerator.generate(warmRows, newTokens, Set.of(), SamplingConfig.GREEDY, pass);
        }

        double[] rewards = new double[population];
        long fullNanos = 0;
        long lowNanos = 0;
        long plainNanos = 0;
        long rowsDecoded = 0;
        for (int first = 0; first < population; first += perPass) {
            List<Member> group = members.subList(first, Math.min(population, first + perPass));
            long start = System.nanoTime();
            for (Member m : group) {
                fullModel.replica().perturb(m);
                // any number that differs between members does as a fitness here: the first generated token id
                rewards[m.index()] = fullGenerator.generate(prompts, newTokens, Set.of(), SamplingConfig.GREEDY)
                        .get(0).tokens()[0];
                fullModel.replica().restore();
            }
            fullNanos += System.nanoTime() - start;

            start = System.nanoTime();
            List<int[]> rows = new ArrayList<>();
            group.forEach(m -> rows.addAll(prompts));
            try (LowRankPass pass = lowModel.replica().lowRankPass(group)) {
                lowGenerator.generate(rows, newTokens, Set.of(), SamplingConfig.GREEDY, pass);
            }
            lowNanos += System.nanoTime() - start;

            start = System.nanoTime();
            plainGenerator.generate(rows, newTokens, Set.of(), SamplingConfig.GREEDY);
            plainNanos += System.nanoTime() - start;
            rowsDecoded += rows.size();
        }
        double fullUpdate = timeUpdate(fullModel, full, members, rewards);
        double lowUpdate = timeUpdate(lowModel, low, members, rewards);
        double fullRate = population / (fullNanos / 1e9);
        double lowRate = population / (lowNanos / 1e9);
        // no end-of-sequence stop: every row decodes all T tokens, in both passes
        double lowTokens = rowsDecoded * (double) newTokens / (lowNanos / 1e9);
        double plainTokens = rowsDecoded * (double) newTokens / (plainNanos / 1e9);
        out.printf("%-24s %4d %13.2f %13.2f %7.2fx %13.3f %13.3f %13.0f %9.2f%n", name, perPass, fullRate, lowRate,
                lowRate / fullRate, fullUpdate, lowUpdate, plainTokens, lowTokens / plainTokens);
        out.flush();
    }

    private static double timeUpdate(EsModel model, EsConfig config, List<Member> members, double[] rewards) {
        long start = System.nanoTime();
        Update update = Update.fromRewards(config, 0, members, rewards);
        model.replica().apply(update);
        return (System.nanoTime() - start) / 1e9;
    }
}
