package dev.esactors.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One writer per run directory, across processes, and let go when the holder dies. */
class DirectoryLockTest {

    @TempDir
    Path dir;

    /** Holds the lock of the directory given as its argument until killed. */
    public static final class Holder {
        public static void main(String[] args) throws InterruptedException {
            DirectoryLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void aSecondProcessIsRefusedNamingTheHolderUntilTheHolderIsKilled() throws Exception {
        Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), Holder.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> DirectoryLock.acquire(dir));
            assertTrue(refused.getMessage().contains("run directory " + dir + " is in use by another run (pid "
                    + holder.pid() + " on ") && refused.getMessage().contains(" since 20"), refused.getMessage());
            assertFalse(DirectoryLock.awaitFree(dir, Duration.ofMillis(300)), "held");
            assertEquals(refused.getMessage(), assertThrows(IllegalStateException.class,
                    () -> DirectoryLock.checkFree(dir)).getMessage(), "the check before a run starts says the same");
        } finally {
            holder.destroyForcibly(); // SIGKILL: the OS lets go of its lock
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(DirectoryLock.awaitFree(dir, Duration.ofSeconds(10)));
        try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
            assertThrows(IllegalStateException.class, () -> DirectoryLock.acquire(dir), "nor twice in one process");
        }
        DirectoryLock.acquire(dir).close();
        DirectoryLock.checkFree(dir); // free: no error
        DirectoryLock.checkFree(dir.resolve("never-used")); // nothing to check, nothing created
        assertFalse(java.nio.file.Files.exists(dir.resolve("never-used")));
    }
}
