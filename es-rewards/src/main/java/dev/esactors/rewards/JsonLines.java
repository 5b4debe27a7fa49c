package dev.esactors.rewards;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads JSON Lines (one object per line) or a JSON array, naming the file and line of any fault. */
public final class JsonLines {

    /** The longest dataset line read (real items are kilobytes; a prompt this long is beyond any context). */
    public static final int MAX_LINE_CHARS = 4_000_000;

    /** Turns one parsed object into an item; {@code where} is "file:line" for error messages. */
    @FunctionalInterface
    public interface ItemReader<T> {
        T read(JsonNode node, String where);
    }

    static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {
    }

    /** Items of a {@code .jsonl} file (blank lines skipped) or of a {@code .json} file holding an array. */
    public static <T> List<T> read(Path file, ItemReader<T> reader) {
        if (!Files.isRegularFile(file)) {
            throw new DatasetException(file, 0, "file not found");
        }
        return file.toString().endsWith(".json") ? readArray(file, reader) : readLines(file, reader);
    }

    private static <T> List<T> readLines(Path file, ItemReader<T> reader) {
        List<T> items = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (number == 1 && line.startsWith("\uFEFF")) { // a byte order mark, as some editors write
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                if (line.length() > MAX_LINE_CHARS) { // a 300 MB line aborted the tokenizer in native code
                    throw new DatasetException(file, number, "line of " + line.length() + " characters; at most "
                            + MAX_LINE_CHARS + " are read");
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new DatasetException(file, number, "bad JSON: " + e.getOriginalMessage(), e);
                } catch (StackOverflowError e) { // Jackson 2.11 parses nesting by recursion
                    throw new DatasetException(file, number, "JSON nested too deeply");
                }
                if (node == null || !node.isObject()) {
                    throw new DatasetException(file, number, "expected a JSON object");
                }
                items.add(readItem(reader, node, file, number));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return items;
    }

    private static <T> List<T> readArray(Path file, ItemReader<T> reader) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new DatasetException(file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                    "bad JSON: " + e.getOriginalMessage(), e);
        } catch (StackOverflowError e) {
            throw new DatasetException(file, 0, "JSON nested too deeply");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (root == null || !root.isArray()) {
            throw new DatasetException(file, 0, "expected a JSON array of items");
        }
        List<T> items = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            items.add(readItem(reader, root.get(i), file, -(i + 1)));
        }
        return items;
    }

    private static <T> T readItem(ItemReader<T> reader, JsonNode node, Path file, int line) {
        String where = line > 0 ? file + ":" + line : file + " item " + (-line - 1);
        return reader.read(node, where);
    }

    /** A required string field; a number is accepted and read as text. */
    public static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || !(v.isTextual() || v.isNumber())) {
            throw new DatasetException(where, "missing string field '" + field + "'");
        }
        return v.asText();
    }

    /** The first of {@code fields} that is present, as text; an error naming them all when none is. */
    public static String firstText(JsonNode node, String where, String... fields) {
        for (String field : fields) {
            if (node.hasNonNull(field)) {
                return text(node, field, where);
            }
        }
        throw new DatasetException(where, "missing string field '" + String.join("' or '", fields) + "'");
    }

    /** An optional string field, or {@code fallback}. */
    public static String text(JsonNode node, String field, String where, String fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? fallback : text(node, field, where);
    }
}
