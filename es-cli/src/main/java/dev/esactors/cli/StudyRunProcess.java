package dev.esactors.cli;

import dev.esactors.core.io.DirectoryLock;
import dev.esactors.train.study.Study;
import dev.esactors.train.study.StudyPlan;
import dev.esactors.train.study.StudyResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs each run of a study in a JVM of its own ({@code es-actors study --only NAME}, with this JVM's options and
 * class path), so that the peak memory and CPU time it reports are the run's alone, and one run's native memory
 * cannot weigh on the next. Its output goes to {@code study-run.log} in the run's directory.
 */
final class StudyRunProcess implements Study.Runner {

    private final Path studyFile;
    private final Path studyDir;

    StudyRunProcess(Path studyFile, Path studyDir) {
        this.studyFile = studyFile;
        this.studyDir = studyDir;
    }

    @Override
    public StudyResult run(StudyPlan.PlannedRun run) {
        Path dir = run.config().dir();
        Path log = dir.resolve("study-run.log");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-agentlib:jdwp")) { // a debugger's port cannot be shared
                command.add(option);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), EsActorsCommand.class.getName(),
                "study", "--config", studyFile.toAbsolutePath().toString(), "--dir",
                studyDir.toAbsolutePath().toString(), "--only", run.name()));
        Process process = null;
        Thread stopChild = null;
        try {
            Files.createDirectories(dir);
            // A study killed a moment ago may have left its run process ending (it stops within a second).
            if (!DirectoryLock.awaitFree(dir, Duration.ofSeconds(30))) {
                throw new IllegalStateException("study run " + run.name() + ": its directory " + dir + " is still "
                        + "in use by another process after 30 s");
            }
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            Process child = process;
            stopChild = new Thread(child::destroy); // Ctrl-C stops the run too (it resumes from its checkpoints)
            Runtime.getRuntime().addShutdownHook(stopChild);
            int code = process.waitFor();
            return StudyResult.read(dir).filter(r -> code == 0).orElseThrow(() -> new IllegalStateException(
                    "study run " + run.name() + " failed (exit " + code + "); the end of " + log + ":\n"
                            + tail(log)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the process of study run " + run.name(), e);
        } catch (InterruptedException e) {
            if (process != null) {
                process.destroy();
            }
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while study run " + run.name() + " ran", e);
        } finally {
            if (stopChild != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopChild);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: nothing to remove
                }
            }
        }
    }

    /**
     * Stops this process when the study process that started it is gone (killed with SIGKILL, say): an orphaned run
     * would go on writing into a directory that the next study resumes.
     */
    static void exitWithParent() {
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (parent == null) {
            return;
        }
        Thread watch = new Thread(() -> {
            while (parent.isAlive()) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
            Runtime.getRuntime().halt(143);
        }, "study-parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
