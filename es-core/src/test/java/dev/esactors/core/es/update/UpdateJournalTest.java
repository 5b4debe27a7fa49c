package dev.esactors.core.es.update;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateJournal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The journal round-trips updates exactly and tells a torn tail from real corruption. */
class UpdateJournalTest {

    @TempDir
    Path dir;

    private static Update update(long t) {
        return new Update(t, new long[] {t * 31 + 1, Long.MAX_VALUE - t}, new int[] {1, -1},
                new double[] {0.1 + t / 3.0, -Math.PI * 1e-17}, new double[] {Double.NaN, 1.0 / 7}, 5e-4, 1e-3);
    }

    @Test
    void recordsRoundTripBitForBit() {
        Path file = dir.resolve("j.jsonl");
        try (UpdateJournal j = UpdateJournal.open(file)) {
            for (int t = 0; t < 5; t++) {
                j.append(update(t));
            }
            assertThrows(IllegalArgumentException.class, () -> j.append(update(9)), "iterations stay contiguous");
        }
        try (UpdateJournal j = UpdateJournal.open(file)) {
            assertEquals("", j.recovery());
            List<Update> records = j.records();
            assertEquals(5, records.size());
            for (int t = 0; t < 5; t++) {
                assertEquals(update(t), records.get(t));
            }
        }
    }

    @Test
    void corruptionBeforeTheLastRecordIsAnErrorNamingTheLine() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        try (UpdateJournal j = UpdateJournal.open(file)) {
            for (int t = 0; t < 3; t++) {
                j.append(update(t));
            }
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        lines.set(1, lines.get(1).replace("\"alpha\":5.0E-4", "\"alpha\":6.0E-4"));
        Files.write(file, lines, StandardCharsets.UTF_8);
        String m = assertThrows(IllegalStateException.class, () -> UpdateJournal.open(file)).getMessage();
        assertTrue(m.contains("line 2 is corrupt"), m);
    }
}
