package dev.esactors.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One writer per run directory: an exclusive lock on {@code .lock} in it (an OS file lock, so it is let go when its
 * process ends, even by SIGKILL), holding the owner's pid and host for the message a second writer gets. Two
 * processes appending to one journal would interleave updates and ruin the run.
 */
public final class DirectoryLock implements AutoCloseable {

    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dir} (creating it), or throws naming the directory and who holds it. */
    public static DirectoryLock acquire(Path dir) {
        return acquire(dir, "run");
    }

    /** As {@link #acquire(Path)}, for a directory of a {@code kind} ("run", "study") that messages name. */
    public static DirectoryLock acquire(Path dir, String kind) {
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM holds it already
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException(kind + " directory " + dir + " is in use by another " + kind + " ("
                        + owner(dir) + "); wait for it to end or stop it");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(thisProcess().getBytes(StandardCharsets.UTF_8)), 0);
            return new DirectoryLock(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock " + kind + " directory " + dir, e);
        }
    }

    /** This process as a holder names itself: "pid N on HOST since TIME". */
    public static String thisProcess() {
        return "pid " + ManagementFactory.getRuntimeMXBean().getName().replace("@", " on ") + " since "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * Throws, as {@link #acquire} would, if another run holds {@code dir}; keeps nothing, and a directory without a
     * lock file is not touched. A check before work starts, so that a second run is refused before it changes
     * anything.
     */
    public static void checkFree(Path dir) {
        if (Files.exists(dir.resolve(FILE))) {
            acquire(dir).close();
        }
    }

    /** What the holder of {@code dir}'s lock wrote in it ("pid N on HOST since TIME"). */
    private static String owner(Path dir) {
        try {
            String owner = Files.readString(dir.resolve(FILE), StandardCharsets.UTF_8).strip();
            return owner.isEmpty() ? "owner unknown" : owner;
        } catch (IOException e) {
            return "owner unknown";
        }
    }

    /**
     * Waits up to {@code timeout} for nobody to hold {@code dir}'s lock (a process that is ending lets go within
     * moments); returns whether it is free. Does not keep it.
     */
    public static boolean awaitFree(Path dir, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!Files.exists(dir.resolve(FILE))) {
                return true;
            }
            try (DirectoryLock ignored = acquire(dir)) {
                return true;
            } catch (IllegalStateException held) {
                if (System.nanoTime() > end) {
                    return false;
                }
                Thread.sleep(200);
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // the channel's close below lets go of it too
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to do: the lock goes with the process
            }
        }
    }
}
