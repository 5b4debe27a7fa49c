package dev.esactors.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-PyTorch reference of the repository's bench/ directory (the decode loop, the GRPO step), run by Debian's
 * python3 with one thread unless OMP_NUM_THREADS says otherwise, as bin/es-actors runs: the one way the benchmarks
 * that compare against PyTorch find and start them.
 *
 * @param path the script
 * @param what what it is called in messages ("the reference loop", "the reference step")
 */
record ReferenceScript(Path path, String what) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** bench/{@code name} under es.home, which must exist. */
    static ReferenceScript locate(String name, String what) {
        Path script = Path.of(System.getProperty("es.home", "."), "bench", name);
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException(script + " not found (" + what + " ships in the repository's bench/ "
                    + "directory)");
        }
        return new ReferenceScript(script, what);
    }

    /** Runs the script with {@code args} and returns the JSON line it prints. */
    JsonNode run(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", path.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putIfAbsent("OMP_NUM_THREADS", "1");
        Process p = builder.start();
        byte[] stdout = p.getInputStream().readAllBytes();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IllegalStateException(what + " failed (is Debian's python3-torch installed? "
                        + "apt-get install python3-torch libopenblas0-pthread): " + stderr.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return JSON.readTree(stdout);
    }
}
