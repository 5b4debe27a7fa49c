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

/**
 * {@code run.json}: the configuration hash a run directory belongs to. Written when the run starts, checked
 * whenever it is opened again, so that a journal is never replayed under different hyperparameters.
 */
public final class RunManifest {

    public static final String FILE = "run.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunManifest() {
    }

    /** Creates the manifest, or refuses with a clear error if the directory belongs to another configuration. */
    static void check(Path runDir, String configHash, String description) {
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
                return;
            }
            Files.createDirectories(runDir);
            ObjectNode node = JSON.createObjectNode();
            node.put("configHash", configHash);
            node.put("config", description);
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node)
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(file + ": cannot read or write the run manifest: " + e.getMessage(), e);
        }
    }
}
