package dev.esactors.train.config;

import com.typesafe.config.ConfigException;

import java.util.function.Supplier;

/** How every section of a run file reads a key: errors name the source and the key at fault. */
final class ConfigKeys {

    private ConfigKeys() {
    }

    /** Reads a key, turning the library's type errors into one line that names the key. */
    static <T> T get(String where, String key, Supplier<T> read) {
        try {
            return read.get();
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException(where + key + " has the wrong type: " + e.getMessage(), e);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + key + ": " + e.getMessage(), e);
        }
    }

    /** Runs a constructor or parser, prefixing its complaint with the key at fault. */
    static <T> T check(String where, String key, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + key + ": " + e.getMessage(), e);
        }
    }

    static int positive(String where, String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(where + key + " must be >= 1, got " + value);
        }
        return value;
    }

    static int nonNegative(String where, String key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(where + key + " must be >= 0, got " + value);
        }
        return value;
    }
}
