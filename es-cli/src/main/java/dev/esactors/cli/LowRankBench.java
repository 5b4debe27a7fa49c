package dev.esactors.cli;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.LowRankPass;
import dev.esactors.core.es.Member;
import dev.esactors.core.es.Perturbation;
import dev.esactors.core.es.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.torch.DType;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Member evaluations per second of full-rank ES (perturb the weights, decode B prompts, restore; one member at a
 * time) against low-rank ES (P members' perturbations inside one batched decode of P x B rows), on the same
 * prompts, interleaved group by group so that both see the same noisy machine; and the cost of each mode's update.
 * Prints figures; asserts nothing.
 */
final class LowRankBench {

    private final int population;
    private final int batch;
    private final int promptTokens;
    private final int newTokens;
    private final int rank;

    LowRankBench(int population, int batch, int promptTokens, int newTokens, int rank) {
        this.population = population;
        this.batch = batch;
        this.promptTokens = promptTokens;
        this.newTokens = newTokens;
        this.rank = rank;
    }

    static void header(PrintWriter out) {
        out.printf("%-24s %6s %14s %14s %8s %13s %13s%n", "model", "P", "full evals/s", "low-rank ev/s", "speed-up",
                "full update s", "low update s");
    }

    /** Times N members both ways with {@code perPass} members per low-rank pass; prints one row. */
    void run(PrintWriter out, String name, Decoder fp32Full, Decoder fp32Low, DType working, int perPass) {
        EsConfig full = EsConfig.paper(1).withPopulation(population, 1e-2, 5e-3);
        EsConfig low = full.withPerturbation(new Perturbation.LowRank(rank, perPass));
        EsModel fullModel = EsModel.create(full, fp32Full, working);
        EsModel lowModel = EsModel.create(low, fp32Low, working);
        List<int[]> prompts = BenchCommand.randomPrompts(fullModel.decoder().config().vocabSize(), batch, promptTokens);
        BatchGenerator fullGenerator = new BatchGenerator(fullModel.decoder());
        BatchGenerator lowGenerator = new BatchGenerator(lowModel.decoder());
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
        }
        double fullUpdate = timeUpdate(fullModel, full, members, rewards);
        double lowUpdate = timeUpdate(lowModel, low, members, rewards);
        double fullRate = population / (fullNanos / 1e9);
        double lowRate = population / (lowNanos / 1e9);
        out.printf("%-24s %6d %14.2f %14.2f %7.2fx %13.3f %13.3f%n", name, perPass, fullRate, lowRate,
                lowRate / fullRate, fullUpdate, lowUpdate);
        out.flush();
    }

    private static double timeUpdate(EsModel model, EsConfig config, List<Member> members, double[] rewards) {
        long start = System.nanoTime();
        Update update = Update.fromRewards(config, 0, members, rewards);
        model.replica().apply(update);
        return (System.nanoTime() - start) / 1e9;
    }
}
