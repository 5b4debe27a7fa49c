package dev.esactors.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Says in words what an I/O failure means for the user: Java reports a full disk as a bare "No space left on
 * device" from deep inside a write, which reads like a bug rather than like something the user can fix.
 */
public final class IoErrors {

    private IoErrors() {
    }

    /** The failure of {@code what} (e.g. "cannot write FILE"), with the reason spelled out. */
    public static UncheckedIOException failure(String what, IOException e) {
        return new UncheckedIOException(what + ": " + reason(e), e);
    }

    /** {@code e}'s reason, with the conditions a user can act on named as such. */
    public static String reason(IOException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (message.contains("No space left on device")) {
            return "the disk is full (No space left on device); free space and resume the run";
        }
        if (message.contains("Disk quota exceeded")) {
            return "the disk quota is used up (Disk quota exceeded)";
        }
        if (message.contains("Read-only file system")) {
            return "the file system is read-only";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied (" + message + ")";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory (" + message + ")";
        }
        return message;
    }
}
