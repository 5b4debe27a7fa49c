package dev.esactors.core.model;

import dev.esactors.core.io.Sha256;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The small model shipped inside the jar (stories260K, MIT licence), unpacked to a cache directory on first use
 * so that it can be memory-mapped like any other Hugging Face model directory.
 */
public final class EmbeddedModel {

    public static final String NAME = "stories260K";
    private static final String RESOURCE_DIR = "/dev/esactors/models/" + NAME + "/";
    private static final String[] FILES = {
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "LICENSE", "PROVENANCE.md"};

    private EmbeddedModel() {
    }

    /** The directory holding the embedded model, unpacked under the user cache if not already there. */
    public static Path directory() {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        MessageDigest sha = Sha256.digest();
        for (String f : FILES) {
            byte[] bytes = resource(f);
            contents.put(f, bytes);
            sha.update(f.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update(bytes);
        }
        String version = Sha256.hex(sha).substring(0, 12);
        Path dir = cacheRoot().resolve(NAME + "-" + version);
        try {
            if (!Files.isRegularFile(dir.resolve(".complete"))) {
                Files.createDirectories(dir);
                for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                    dev.esactors.core.io.AtomicFiles.write(dir.resolve(e.getKey()), e.getValue());
                }
                dev.esactors.core.io.AtomicFiles.write(dir.resolve(".complete"), new byte[0]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the embedded model into " + dir, e);
        }
        return dir;
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return base.resolve("es-actors").resolve("models");
    }

    private static byte[] resource(String name) {
        try (InputStream in = EmbeddedModel.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("embedded model file " + RESOURCE_DIR + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read embedded model file " + name, e);
        }
    }
}
