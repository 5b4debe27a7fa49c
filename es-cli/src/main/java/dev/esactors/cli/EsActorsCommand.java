package dev.esactors.cli;

import dev.esactors.cli.bench.BenchCommand;
import dev.esactors.cli.bench.RealSizeBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.file.Path;

/** The {@code es-actors} command: Evolution Strategies fine-tuning of language models. */
@Command(name = "es-actors",
        mixinStandardHelpOptions = true,
        version = "es-actors 0.1.0",
        description = "Gradient-free fine-tuning of language models with Evolution Strategies.",
        subcommands = {RunCommand.class, StudyCommand.class, EvalCommand.class, GenerateCommand.class, BenchCommand.class, ScoreCommand.class, TasksCommand.class,
            PretrainCommand.class,
            ReplayCommand.class,
            CommandLine.HelpCommand.class})
public final class EsActorsCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        String peakFile = System.getenv(RealSizeBench.PEAK_FILE);
        if (peakFile != null) { // a benchmark measuring this process: its peak memory and CPU time, at exit
            Runtime.getRuntime().addShutdownHook(new Thread(() -> RealSizeBench.writePeak(Path.of(peakFile))));
        }
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given streams and returns its exit code (tests call this, not main). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        String blas = dev.esactors.core.torch.Torch.applyBlasSetting();
        if (blas != null) { // named before any work, not as an error of whatever first loads LibTorch
            err.println("error: " + blas);
            return 2;
        }
        CommandLine cli = new CommandLine(new EsActorsCommand()).setOut(out).setErr(err);
        // Expected failures (bad input) print one clear line, not a stack trace.
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }
}
