package dev.esactors.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {

    @Test
    void aWriteReplacesTheFileWhole(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("state.json");
        AtomicFiles.write(file, "one".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(file, "two".getBytes(StandardCharsets.UTF_8));
        assertEquals("two", Files.readString(file));
        assertEquals(1, count(dir), "no temporary file is left");
    }

    @Test
    void aFullDiskIsNamedAndLeavesThePreviousFileAndNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("state.json");
        AtomicFiles.write(file, "good".getBytes(StandardCharsets.UTF_8));
        // The write goes to a temporary sibling first; making that name a link to /dev/full makes every write to it
        // fail with ENOSPC, as on a full disk, without needing one.
        Path temp = dir.resolve(".state.json.tmp-" + ProcessHandle.current().pid());
        Files.createSymbolicLink(temp, Path.of("/dev/full"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> AtomicFiles.write(file, new byte[4096]));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("the disk is full"),
                e.getMessage());
        assertArrayEquals("good".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file), "the last good file");
        assertEquals(1, count(dir), "no temporary file is left");
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }
}
