package dev.esactors.cli;

import dev.esactors.rewards.catalog.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code es-actors tasks}: the tasks, their rewards and options. */
@Command(name = "tasks", mixinStandardHelpOptions = true, description = "List the tasks, their rewards and options.")
final class TasksCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (Tasks.Entry entry : Tasks.list()) {
            out.println(entry.name());
            out.println("  " + entry.description());
            for (Tasks.Option option : entry.options()) {
                out.println("  --option " + option.name() + "=" + option.defaultValue() + "   " + option.description());
            }
        }
        out.flush();
        return 0;
    }
}
