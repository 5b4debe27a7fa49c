package dev.esactors.core.io;

import java.nio.file.Path;

/** A safetensors file (or sharded index) that breaks the format; the message names the file and the fault. */
public final class SafetensorsFormatException extends RuntimeException {

    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
