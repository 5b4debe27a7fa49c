package dev.esactors.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.core.torch.DType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of a safetensors file: an 8-byte little-endian length, then that many bytes
 * of JSON mapping tensor names to dtype, shape and data offsets, then the data.
 *
 * @param tensors  entries by name, in data-offset order
 * @param metadata the optional {@code __metadata__} string map
 * @param dataStart the file offset at which the data section begins
 */
public record SafetensorsHeader(Map<String, TensorEntry> tensors, Map<String, String> metadata, long dataStart) {

    /** Headers beyond this are refused: real ones are kilobytes, and a hostile length must not allocate gigabytes. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    public SafetensorsHeader {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Map.copyOf(metadata);
    }

    /** Reads the 8-byte length prefix; checks it against the file size before anything is allocated. */
    static long headerLength(Path file, ByteBuffer prefix, long fileSize) {
        if (fileSize < 8) {
            throw new SafetensorsFormatException(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
        }
        long length = prefix.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        // The length is an unsigned 64-bit number: compare it as one, so a huge value is not read as negative.
        if (Long.compareUnsigned(length, MAX_HEADER_BYTES) > 0) {
            throw new SafetensorsFormatException(file, "header length " + Long.toUnsignedString(length)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (length < 2) {
            throw new SafetensorsFormatException(file, "header length " + length + " is too small for a JSON object");
        }
        if (length > fileSize - 8) {
            throw new SafetensorsFormatException(file, "header length " + length + " runs past the end of the file ("
                    + fileSize + " bytes): truncated or corrupt");
        }
        return length;
    }

    /** Parses and validates the JSON header; {@code dataBytes} is the size of the data section. */
    static SafetensorsHeader parse(Path file, byte[] json, long dataStart, long dataBytes) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (StackOverflowError e) { // Jackson 2.11 parses nesting by recursion
            throw new SafetensorsFormatException(file, "header is not valid JSON: nested too deeply");
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(file, "header must be a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorEntry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.add(readEntry(file, field.getKey(), field.getValue(), dataBytes));
            }
        }
        entries.sort(Comparator.comparingLong(TensorEntry::begin).thenComparingLong(TensorEntry::end));
        Map<String, TensorEntry> byName = new LinkedHashMap<>();
        TensorEntry previous = null;
        for (TensorEntry e : entries) {
            if (previous != null && e.begin() < previous.end()) {
                throw new SafetensorsFormatException(file, "tensor '" + e.name() + "' bytes [" + e.begin() + ", "
                        + e.end() + ") overlap tensor '" + previous.name() + "' bytes [" + previous.begin() + ", "
                        + previous.end() + ")");
            }
            byName.put(e.name(), e);
            previous = e;
        }
        return new SafetensorsHeader(byName, metadata, dataStart);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> into) {
        if (!node.isObject()) {
            throw new SafetensorsFormatException(file, "__metadata__ must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafetensorsFormatException(file, "__metadata__ value of '" + m.getKey() + "' must be a string");
            }
            into.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorEntry readEntry(Path file, String name, JsonNode node, long dataBytes) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsFormatException(file, where + " must be an object with dtype, shape, data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsFormatException(file, where + " has no string 'dtype'");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeNode.asText());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(file, where + ": " + e.getMessage());
        }
        long[] shape = nonNegativeLongs(file, where, "shape", node.get("shape"), -1);
        long[] offsets = nonNegativeLongs(file, where, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsFormatException(file, where + " data_offsets [" + begin + ", " + end + "] are reversed");
        }
        if (end > dataBytes) {
            throw new SafetensorsFormatException(file, where + " data_offsets [" + begin + ", " + end
                    + "] run past the data section of " + dataBytes + " bytes");
        }
        TensorEntry entry = new TensorEntry(name, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(entry.numel(), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file, where + " shape overflows a 64-bit byte count");
        }
        if (expected != end - begin) {
            throw new SafetensorsFormatException(file, where + " shape x dtype = " + expected + " bytes, but data_offsets span "
                    + (end - begin) + " bytes");
        }
        return entry;
    }

    private static long[] nonNegativeLongs(Path file, String where, String key, JsonNode node, int requiredLength) {
        if (node == null || !node.isArray()) {
            throw new SafetensorsFormatException(file, where + " has no array '" + key + "'");
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new SafetensorsFormatException(file, where + " '" + key + "' must have " + requiredLength
                    + " elements, has " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new SafetensorsFormatException(file, where + " '" + key + "' element " + i + " must be a "
                        + "non-negative integer, got " + v);
            }
            out[i] = v.asLong();
        }
        return out;
    }
}
