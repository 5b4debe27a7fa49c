package dev.esactors.core.state;

import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.io.DirectoryLock;
import dev.esactors.core.io.IoErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The run directory's fencing token, for a coordinator that lost its node but still runs (a zombie) while sharding
 * starts its successor elsewhere on a shared volume, where the OS lock ({@code DirectoryLock}) may not hold: POSIX
 * locks on network file systems are only as good as the server's lock manager, and a node cut off from the
 * cluster may still reach the volume. Each opening of the directory writes the next epoch to {@code fence}; a
 * writer checks, before each journal append and each checkpoint, that the epoch there is still its own, and stops
 * with an error as soon as a successor has taken over, before it writes anything. What is left is the moment
 * between one check and the write after it (microseconds); the journal's own check that nobody else appended since
 * it last wrote (UpdateJournal) catches an append in that moment.
 */
public final class RunFence {

    public static final String FILE = "fence";

    private final Path file;
    private final long epoch;
    private final String holder;

    private RunFence(Path file, long epoch, String holder) {
        this.file = file;
        this.epoch = epoch;
        this.holder = holder;
    }

    /** Takes over {@code runDir}: writes the epoch after the one there (if any) and returns this writer's fence. */
    public static RunFence take(Path runDir) {
        Path file = runDir.resolve(FILE);
        long previous = Files.exists(file) ? read(file).epoch() : 0;
        String holder = DirectoryLock.thisProcess();
        AtomicFiles.write(file, ((previous + 1) + " " + holder + "\n").getBytes(StandardCharsets.UTF_8));
        return new RunFence(file, previous + 1, holder);
    }

    public long epoch() {
        return epoch;
    }

    /** Throws if another writer has opened the run directory since this one did. */
    public void check() {
        Token now = read(file);
        if (now.epoch() != epoch) {
            throw new IllegalStateException(file.getParent() + ": taken over by another coordinator (epoch "
                    + now.epoch() + ", " + now.holder() + ") since this one (epoch " + epoch + ", " + holder
                    + ") opened it; this one stops writing");
        }
    }

    private record Token(long epoch, String holder) {
    }

    private static Token read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw IoErrors.failure("cannot read the run's fencing token " + file, e);
        }
        int space = text.indexOf(' ');
        try {
            long epoch = Long.parseLong(space < 0 ? text : text.substring(0, space));
            if (epoch < 1) {
                throw new NumberFormatException();
            }
            return new Token(epoch, space < 0 ? "holder unknown" : text.substring(space + 1));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + ": not a fencing token (an epoch >= 1, then the holder): '"
                    + (text.length() > 80 ? text.substring(0, 80) + "..." : text) + "'");
        }
    }
}
