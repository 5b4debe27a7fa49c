package dev.esactors.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code es-actors bench}: the benchmarks, one subcommand each. Benchmarks print figures and assert nothing; the
 * figures and the commands that made them are in docs/performance.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Throughput and memory benchmarks; each prints its figures (docs/performance.md).",
        subcommands = {DecodeBench.class, EsIterationBench.class, LowRankBench.class, CoordinationBench.class,
                HostOverheadBench.class, ProductBench.class, ReferenceComparison.class, RealSizeBench.class,
                GrpoStepBench.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    /** Without a benchmark named: the list of them. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
