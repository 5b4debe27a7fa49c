package dev.esactors.core.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.core.io.JsonFiles;
import dev.esactors.core.io.Sha256;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Checks a tokenizer.json before this JVM hands it to the Rust tokenizers library: that library panics on some
 * malformed files instead of returning an error (tokenizers 0.21.4 calls expect() on the JSON parser's result for
 * the decoder, so a non-string key or a lone surrogate escape there is a panic), and a Rust panic inside a JNI call
 * aborts the whole JVM (exit 134), a node of a cluster included. So a file is first read as strict JSON here (most damage ends there, quickly), then loaded
 * once in a short-lived child JVM; only a file the child loaded is loaded here. A file passes once per JVM (by
 * content hash), so a run pays the child's second or so once.
 */
final class TokenizerCheck {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> VERIFIED = ConcurrentHashMap.newKeySet();
    private static final long CHILD_SECONDS = 120;

    private TokenizerCheck() {
    }

    /** Returns if {@code file} can be loaded safely; throws naming the file otherwise. */
    static void verify(Path file) {
        String hash = Sha256.of(file);
        if (VERIFIED.contains(hash)) {
            return;
        }
        JsonNode root;
        try {
            root = JsonFiles.readTree(JSON, file);
        } catch (IOException e) {
            throw invalid(file, "not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject() || !root.has("model")) {
            throw invalid(file, "not a tokenizer (no \"model\" object at the top)");
        }
        loadInChild(file);
        VERIFIED.add(hash);
    }

    private static void loadInChild(Path file) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-Doffline=true", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), TokenizerCheck.class.getName(),
                file.toAbsolutePath().toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OPT_OUT_TRACKING", "true");
        builder.environment().put("RUST_BACKTRACE", "0");
        try {
            Process child = builder.start();
            child.getOutputStream().close();
            byte[] output = child.getInputStream().readAllBytes(); // ends when the child does
            if (!child.waitFor(CHILD_SECONDS, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw invalid(file, "loading it did not finish within " + CHILD_SECONDS + " s");
            }
            if (child.exitValue() != 0) {
                throw invalid(file, "the tokenizers library cannot load it (" + reason(new String(output,
                        StandardCharsets.UTF_8)) + ")");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a JVM to check " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking " + file, e);
        }
    }

    /** What the child said: the panic's message, or its last line. */
    private static String reason(String output) {
        String[] lines = output.strip().split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].contains("panicked at")) {
                return firstLine(lines[i + 1].strip());
            }
        }
        return lines.length == 0 || lines[lines.length - 1].isBlank() ? "the check crashed"
                : firstLine(lines[lines.length - 1].strip());
    }

    private static String firstLine(String message) {
        String line = message == null ? "" : message.lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    private static IllegalArgumentException invalid(Path file, String why) {
        return new IllegalArgumentException(file + ": not a valid tokenizer: " + why);
    }

    /** The child: loads the file and encodes a string; exits 0 if that worked. */
    public static void main(String[] args) {
        try (HfTokenizer tokenizer = HfTokenizer.loadUnchecked(Path.of(args[0]))) {
            tokenizer.decode(tokenizer.encode("a check: 1 + 2 = 3"));
        } catch (RuntimeException e) {
            // The parent says which file; the library's own words are what it adds.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.out.println(firstLine(cause.getMessage()));
            System.exit(1);
        }
        System.exit(0);
    }
}
