package dev.esactors.cli;

import dev.esactors.core.torch.Torch;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.base.BaseModelSettings;
import dev.esactors.train.base.BaseModelTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code pretrain}: makes a small base model from scratch on a task's generated problems and their demonstrations,
 * stopped when it solves some validation problems but not most (how models/countdown-* were made).
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a small Llama from scratch on a task's generated problems with demonstrations, "
                + "stopping at the first validation accuracy that reaches --band (how the countdown base models "
                + "were made).")
final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--task", required = true, description = "task name (see: es-actors tasks)")
    String task;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "task option; repeatable (countdown: "
            + "prompt=compact, generate=N, exclude=FILE,...)")
    List<String> options = new ArrayList<>();

    @Option(names = "--validation", required = true, paramLabel = "FILE", description = "the set the stopping "
            + "point is chosen on")
    Path validation;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the model directory to write")
    Path out;

    @Option(names = "--hidden", defaultValue = "128", description = "width, a multiple of 32 (default: "
            + "${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--layers", defaultValue = "2", description = "decoder layers (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--positions", defaultValue = "64", description = "context length (default: ${DEFAULT-VALUE})")
    int positions;

    @Option(names = "--seed", defaultValue = "1234", description = "weights' and batches' seed (default: "
            + "${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--batch", defaultValue = "64", description = "problems per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", defaultValue = "2e-3", description = "AdamW learning rate (default: ${DEFAULT-VALUE})")
    double learningRate;

    @Option(names = "--warmup", defaultValue = "50", description = "warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--eval-every", defaultValue = "50", description = "steps between validation evaluations "
            + "(default: ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--max-steps", defaultValue = "20000", description = "steps at most (default: ${DEFAULT-VALUE})")
    int maxSteps;

    @Option(names = "--band", split = ",", defaultValue = "0.05,0.25", paramLabel = "LOW,HIGH",
            description = "stop at the first validation accuracy >= LOW; above HIGH it overshot (default: "
                    + "${DEFAULT-VALUE})")
    List<Double> band;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (band.size() != 2) {
            throw new ParameterException(spec.commandLine(), "--band takes LOW,HIGH, got " + band);
        }
        BaseModelSettings settings;
        try {
            settings = new BaseModelSettings(task, Tasks.options(options), BaseModelSettings.llama(hidden, layers,
                    positions), seed, batch, learningRate, warmup, 1.0, evalEvery, maxSteps, band.get(0), band.get(1),
                    validation, out);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Torch.setThreads(1); // one thread: the same weights on every run
        PrintWriter console = spec.commandLine().getOut();
        BaseModelTrainer.Result result = BaseModelTrainer.train(settings, line -> {
            console.println(line);
            console.flush();
        });
        console.printf("%s at step %d: validation accuracy %.1f%%; model in %s%n", result.outcome(),
                result.stop().step(), 100 * result.stop().accuracy(), out);
        return result.inBand() ? 0 : 1;
    }
}
