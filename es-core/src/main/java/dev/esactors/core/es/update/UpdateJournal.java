package dev.esactors.core.es.update;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.IoErrors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The append-only record of every applied update: one line per iteration, {@code <json> <crc32>}, fsynced before
 * the next iteration starts. Replaying it over a checkpoint (or the base model) reproduces the weights bit for
 * bit. A torn last line (a crash mid-append) is detected by its checksum and cut off when the journal is opened.
 */
public final class UpdateJournal implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final List<Update> records;
    private final String recovery;

    private UpdateJournal(Path file, FileChannel channel, List<Update> records, String recovery) {
        this.file = file;
        this.channel = channel;
        this.records = records;
        this.recovery = recovery;
    }

    /**
     * Opens (or creates) the journal at {@code file}, reading every record. A damaged last record is removed
     * from the file and reported by {@link #recovery()}; damage before the last record is an error naming the line.
     */
    public static UpdateJournal open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            Scan scan;
            try {
                scan = scan(file, Files.readAllBytes(file));
            } catch (RuntimeException e) {
                channel.close();
                throw e;
            }
            if (scan.damagedAt() >= 0) {
                channel.truncate(scan.damagedAt());
                channel.force(true);
            }
            channel.position(channel.size());
            return new UpdateJournal(file, channel, scan.records(), scan.damage());
        } catch (IOException e) {
            throw IoErrors.failure("cannot open update journal " + file, e);
        }
    }

    /**
     * The good records of the journal at {@code file}, without opening it for writing: a damaged last record is
     * left in the file and skipped (a running coordinator may be writing it); damage before it is an error.
     */
    public static List<Update> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no update journal at " + file);
        }
        try {
            return List.copyOf(scan(file, Files.readAllBytes(file)).records());
        } catch (IOException e) {
            throw IoErrors.failure("cannot read update journal " + file, e);
        }
    }

    /**
     * A journal's good records; damagedAt is the byte offset of a damaged last record (-1 if none), damage says
     * what was found there.
     */
    private record Scan(List<Update> records, long damagedAt, String damage) {
    }

    private static Scan scan(Path file, byte[] bytes) {
        List<Update> records = new ArrayList<>();
        int start = 0;
        int line = 1;
        while (start < bytes.length) {
            int end = indexOf(bytes, (byte) '\n', start);
            String text = new String(bytes, start, (end < 0 ? bytes.length : end) - start, StandardCharsets.UTF_8);
            Update update = end < 0 ? null : parse(text, records.size());
            if (update == null) {
                boolean last = end < 0 || end == bytes.length - 1;
                if (!last) {
                    throw new IllegalStateException(file + ": line " + line + " is corrupt (checksum or format) "
                            + "and is not the last record; the journal cannot be trusted past it");
                }
                return new Scan(records, start, file + ": dropped a damaged last record at line " + line + " ("
                        + (bytes.length - start) + " bytes, likely a crash mid-write); " + records.size()
                        + " good records kept");
            }
            records.add(update);
            start = end + 1;
            line++;
        }
        return new Scan(records, -1, "");
    }

    public Path file() {
        return file;
    }

    /** All records, in iteration order (record i is iteration i). */
    public List<Update> records() {
        return List.copyOf(records);
    }

    public int size() {
        return records.size();
    }

    /** What was repaired when the journal was opened, or an empty string. */
    public String recovery() {
        return recovery;
    }

    /** Appends {@code update} (which must be the next iteration) and forces it to disk before returning. */
    public void append(Update update) {
        if (update.iteration() != records.size()) {
            throw new IllegalArgumentException("journal holds " + records.size() + " records; cannot append iteration "
                    + update.iteration());
        }
        String payload = toJson(update).toString();
        String line = payload + " " + crc(payload) + "\n";
        try {
            // Writes go at this writer's own position, so a foreign append would be overwritten: refuse instead.
            if (channel.size() != channel.position()) {
                throw new IllegalStateException(file + ": another process wrote to the journal since this run "
                        + "opened it (" + channel.size() + " bytes, " + channel.position() + " expected); this "
                        + "writer stops");
            }
            ByteBuffer buffer = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            throw IoErrors.failure("cannot append to update journal " + file, e);
        }
        records.add(update);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw IoErrors.failure("cannot close " + file, e);
        }
    }

    static ObjectNode toJson(Update u) {
        ObjectNode node = JSON.createObjectNode();
        node.put("iteration", u.iteration());
        node.put("alpha", u.alpha());
        node.put("sigma", u.sigma());
        if (u.skipped()) {
            node.put("skipped", true); // absent in records written before updates could be skipped
        }
        ArrayNode seeds = node.putArray("seeds");
        for (long s : u.seeds()) {
            seeds.add(s);
        }
        ArrayNode signs = node.putArray("signs");
        for (int s : u.signs()) {
            signs.add(s);
        }
        ArrayNode coefficients = node.putArray("coefficients");
        for (double c : u.coefficients()) {
            coefficients.add(c); // Jackson writes the shortest text that parses back to the same double
        }
        ArrayNode rewards = node.putArray("rewards");
        for (double r : u.rewards()) {
            rewards.add(number(r));
        }
        if (u.promptRewards().length > 0) { // per-prompt shaping's input; absent for the other shapings
            ArrayNode rows = node.putArray("promptRewards");
            for (double[] row : u.promptRewards()) {
                ArrayNode out = rows.addArray();
                for (double r : row) {
                    out.add(number(r));
                }
            }
        }
        return node;
    }

    /** A double as JSON: a number, or its text when not finite (JSON has no NaN). */
    private static JsonNode number(double r) {
        return Double.isFinite(r) ? JSON.getNodeFactory().numberNode(r)
                : JSON.getNodeFactory().textNode(Double.toString(r));
    }

    private static double number(JsonNode n) {
        return n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble();
    }

    /** The update of a journal line, or null if the line is damaged or not the expected iteration. */
    private static Update parse(String line, int expectedIteration) {
        int space = line.lastIndexOf(' ');
        if (space < 0) {
            return null;
        }
        String payload = line.substring(0, space);
        if (!crc(payload).equals(line.substring(space + 1))) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(payload);
            if (n.path("iteration").asLong(-1) != expectedIteration) {
                return null;
            }
            JsonNode seeds = n.get("seeds");
            int size = seeds.size();
            long[] s = new long[size];
            int[] signs = new int[size];
            double[] c = new double[size];
            double[] r = new double[size];
            for (int i = 0; i < size; i++) {
                s[i] = seeds.get(i).asLong();
                signs[i] = n.get("signs").get(i).asInt();
                c[i] = n.get("coefficients").get(i).asDouble();
                r[i] = number(n.get("rewards").get(i));
            }
            JsonNode rows = n.path("promptRewards");
            double[][] prompts = new double[rows.size()][];
            for (int i = 0; i < prompts.length; i++) {
                prompts[i] = new double[rows.get(i).size()];
                for (int p = 0; p < prompts[i].length; p++) {
                    prompts[i][p] = number(rows.get(i).get(p));
                }
            }
            return new Update(expectedIteration, s, signs, c, r, n.get("alpha").asDouble(), n.get("sigma").asDouble(),
                    n.path("skipped").asBoolean(false), prompts);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String crc(String payload) {
        CRC32 crc = new CRC32();
        crc.update(payload.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
