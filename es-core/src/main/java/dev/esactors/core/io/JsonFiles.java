package dev.esactors.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;

/** Reading JSON files within bounds. */
public final class JsonFiles {

    private JsonFiles() {
    }

    /**
     * {@code file}'s JSON tree. Jackson 2.11 parses nesting by recursion and has no depth limit, so a file nested
     * deeply enough ended the thread, or the JVM, with a StackOverflowError: that is an IOException here
     * ("nested too deeply"), like any other malformed JSON.
     */
    public static JsonNode readTree(ObjectMapper mapper, Path file) throws IOException {
        try {
            return mapper.readTree(file.toFile());
        } catch (StackOverflowError e) {
            throw new IOException("nested too deeply");
        }
    }
}
