package dev.esactors.core.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a test class's {@code main} in a JVM of its own, with this JVM's class path and one LibTorch and BLAS thread:
 * for what is fixed once per process (the BLAS library, thread counts) or must be compared across processes.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * The lines {@code main} printed (standard output and error together), once it exited 0 within
     * {@code timeoutSeconds}; a failed assertion naming the output otherwise. The output goes to a file, not a pipe,
     * so that the timeout holds even if the child hangs with its output open.
     */
    public static List<String> run(Class<?> main, List<String> jvmOptions, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        return run(main, jvmOptions, Map.of(), timeoutSeconds, args);
    }

    /** As {@link #run(Class, List, long, String...)}, with {@code environment} added to this JVM's. */
    public static List<String> run(Class<?> main, List<String> jvmOptions, Map<String, String> environment,
            long timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Doffline=true");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Path log = Files.createTempFile("es-child-jvm", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("OMP_NUM_THREADS", "1");
            builder.environment().put("OPENBLAS_NUM_THREADS", "1");
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8).trim();
            assertTrue(finished, "the child JVM finishes within " + timeoutSeconds + " s: " + output);
            assertEquals(0, process.exitValue(), output);
            return output.lines().toList();
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
