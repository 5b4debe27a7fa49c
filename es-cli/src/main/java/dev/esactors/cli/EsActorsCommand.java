package dev.esactors.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code es-actors} command: Evolution Strategies fine-tuning of language models. */
@Command(name = "es-actors",
        mixinStandardHelpOptions = true,
        version = "es-actors 0.1.0",
        description = "Gradient-free fine-tuning of language models with Evolution Strategies.",
        subcommands = {GenerateCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class EsActorsCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new EsActorsCommand());
        // Expected failures (bad input) print one clear line, not a stack trace.
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }
}
