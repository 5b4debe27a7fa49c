package dev.esactors.core.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.io.JsonFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code run.json}: the configuration hash a run directory belongs to, and the CPU kernels it started on. Written
 * when the run starts, checked whenever it is opened again, so that a journal is never replayed under different
 * hyperparameters, and a resume on other kernels (another CPU kind, another OpenBLAS core type) is named rather than
 * silently ending on other weights than the uninterrupted run's.
 */
public final class RunManifest {

    public static final String FILE = "run.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunManifest() {
    }

    /**
     * Creates the manifest, or refuses with a clear error if the directory belongs to another configuration.
     * Returns a warning when the run started on other {@code kernels} ({@code Torch#kernels}) than this process's;
     * nothing for a manifest written before they were recorded.
     */
    static Optional<String> check(Path runDir, String configHash, String description, String kernels) {
        Path file = runDir.resolve(FILE);
        try {
            if (Files.isRegularFile(file)) {
                JsonNode node = JsonFiles.readTree(JSON, file);
                String existing = node == null ? "" : node.path("configHash").asText("");
                if (!existing.equals(configHash)) {
                    throw new IllegalStateException(file + ": this run directory belongs to config hash " + existing
                            + " (" + node.path("config").asText("?") + "), but this run's config hashes to "
                            + configHash + " (" + description + "); refusing to mix two runs: use a new run "
                            + "directory or the original config");
                }
                String started = node.path("kernels").asText("");
                if (started.isEmpty() || started.equals(kernels)) {
                    return Optional.empty();
                }
                return Optional.of(file + ": this run started on other CPU kernels (" + started + ") than this "
                        + "process runs (" + kernels + "): from here on its weights may differ in their last bits "
                        + "from an uninterrupted run's (GRPO's will; ES's where a reward flips). To repeat it bit "
                        + "for bit, resume where the same kernels run: OPENBLAS_CORETYPE and ATEN_CPU_CAPABILITY "
                        + "pick them (docs/operations.md)");
            }
            Files.createDirectories(runDir);
            ObjectNode node = JSON.createObjectNode();
            node.put("configHash", configHash);
            node.put("config", description);
            node.put("kernels", kernels);
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node)
                    .getBytes(StandardCharsets.UTF_8));
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException(file + ": cannot read or write the run manifest: " + e.getMessage(), e);
        }
    }
}
