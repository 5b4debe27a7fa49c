package dev.esactors.cli.bench;

import dev.esactors.actors.bench.SimulatedEvaluator;
import dev.esactors.core.torch.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bench coordination}: a real Coordinator over the embedded model's master with simulated evaluators (no
 * decoding): coordinator time per member result and bytes on the wire per member, at full and low rank.
 */
@Command(name = "coordination", mixinStandardHelpOptions = true,
        description = "A real Coordinator with simulated evaluators (no model), N = evaluators members per "
                + "iteration: coordinator time per member result and bytes on the wire per member.")
final class CoordinationBench implements Callable<Integer> {

    @Option(names = "--evaluators", split = ",", defaultValue = "16,256,1024",
            description = "(default: ${DEFAULT-VALUE})")
    List<Integer> evaluators;

    @Option(names = "--members-per-pass", split = ",", defaultValue = "0,8",
            description = "0: full rank, one member per work item (N = evaluators); P > 0: low rank, groups of P "
                    + "members (N = evaluators x P) (default: ${DEFAULT-VALUE})")
    List<Integer> perPass;

    @Option(names = "--per-node", split = ",", defaultValue = "1,8",
            description = "simulated evaluators per node, which share one catch-up (default: ${DEFAULT-VALUE})")
    List<Integer> perNode;

    @Option(names = "--shaping", split = ",", defaultValue = "zscore",
            description = "zscore and/or per-prompt (results then carry each member's reward on each of its 16 "
                    + "simulated prompts) (default: ${DEFAULT-VALUE})")
    List<String> shapings;

    @Option(names = "--iterations", defaultValue = "3", description = "(default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--threads", description = "LibTorch intra-op threads for the master's updates (default: all "
            + "cores)")
    Integer threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        for (String shaping : shapings) {
            if (!shaping.equals("zscore") && !shaping.equals("per-prompt")) {
                throw new ParameterException(spec.commandLine(), "--shaping: zscore or per-prompt, got '" + shaping
                        + "'");
            }
        }
        Torch.load();
        if (threads != null) {
            Torch.setThreads(threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Coordination: a Coordinator over the embedded model's master and simulated evaluators "
                + "(member time log-normal, median 50 ms; reward: share of right answers among %d prompts); "
                + "P = 1: full rank, N = evaluators; P > 1: low rank, groups of P members, N = evaluators x P; "
                + "%d iterations; bytes per member: serialized protocol messages (jackson-cbor), catch-ups once "
                + "per node; messages per evaluator per iteration, either way; boundary: from the last result of "
                + "an iteration to the first evaluator starting the next (all busy: to the last one)%n",
                SimulatedEvaluator.batch(), iterations);
        dev.esactors.actors.bench.CoordinationBench.header(out);
        for (String shaping : shapings) {
            for (int p : perPass) {
                for (int node : perNode) {
                    for (int e : evaluators) {
                        dev.esactors.actors.bench.CoordinationBench.run(out, Files.createTempDirectory(
                                "es-coordination"), e, node, p, iterations, Duration.ofMillis(50),
                                shaping.equals("per-prompt"));
                    }
                }
            }
        }
        return 0;
    }
}
