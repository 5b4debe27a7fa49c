package dev.esactors.rewards;

import java.nio.file.Path;

/** A dataset file that cannot be read as its task expects; the message names the file, line and field. */
public final class DatasetException extends RuntimeException {

    public DatasetException(Path file, int line, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem);
    }

    /** A problem at {@code where}: a "file:line" or another description of the item's place. */
    public DatasetException(String where, String problem) {
        super(where + ": " + problem);
    }

    public DatasetException(Path file, int line, String problem, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
    }
}
