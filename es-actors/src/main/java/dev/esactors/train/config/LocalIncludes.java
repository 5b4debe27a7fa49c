package dev.esactors.train.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseable;
import com.typesafe.config.ConfigParseOptions;

import java.io.File;
import java.net.URL;
import java.util.regex.Pattern;

/**
 * Includes in run and study files stay on this machine: {@code include url(...)} and {@code include "http://..."}
 * are refused (a run file would otherwise fetch settings over the network each time it is read); files and class
 * path resources are included as HOCON does by default, except that an include that finds nothing is an error:
 * HOCON ignores it, and a preset whose include did not resolve ran the defaults' task without a word.
 */
final class LocalIncludes implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {

    private static final Pattern REMOTE = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:.*");

    /** The suffixes HOCON tries after an include's name. */
    private static final String[] EXTENSIONS = {"", ".conf", ".json", ".properties"};

    private final ConfigIncluder fallback;

    private LocalIncludes(ConfigIncluder fallback) {
        this.fallback = fallback;
    }

    /** Parse options for a run or study file: missing file an error, includes local. */
    static ConfigParseOptions options() {
        return ConfigParseOptions.defaults().setAllowMissing(false).setIncluder(new LocalIncludes(null));
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
        return this.fallback == fallback ? this : new LocalIncludes(fallback);
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        if (REMOTE.matcher(what).matches() && !what.startsWith("file:")) {
            throw refused(what);
        }
        ConfigObject included = fallback.include(context, what);
        if (included.isEmpty() && !found(context.relativeTo(what))) {
            throw new ConfigException.Generic("include of '" + what + "': not found next to the including file");
        }
        return included;
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, URL url) {
        if (!"file".equals(url.getProtocol())) {
            throw refused(url.toString());
        }
        return ((ConfigIncluderURL) fallback).includeURL(context, url);
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, File file) {
        if (!anySyntaxExists(file)) {
            throw missing(file.getPath(), file.getAbsoluteFile());
        }
        RunConfigLoader.requireSmall(file);
        return ((ConfigIncluderFile) fallback).includeFile(context, file);
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
        return ((ConfigIncluderClasspath) fallback).includeResources(context, what);
    }

    /**
     * Whether an include resolved to something: HOCON looks next to the including file and, when nothing is there,
     * among class path resources.
     */
    private static boolean found(ConfigParseable relative) {
        if (relative == null) {
            return true; // the including text is not a file or resource: nothing to check against
        }
        if (relative.origin().filename() != null) {
            return anySyntaxExists(new File(relative.origin().filename()));
        }
        String resource = relative.origin().resource();
        ClassLoader loader = LocalIncludes.class.getClassLoader();
        for (String extension : EXTENSIONS) {
            if (resource != null && loader.getResource(resource + extension) != null) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code file}, or {@code file} with one of the extensions HOCON tries, exists. */
    private static boolean anySyntaxExists(File file) {
        for (String extension : EXTENSIONS) {
            if (new File(file.getPath() + extension).isFile()) {
                return true;
            }
        }
        return false;
    }

    private static ConfigException missing(String what, File file) {
        return new ConfigException.Generic("include of '" + what + "': " + file + " not found");
    }

    private static ConfigException refused(String what) {
        return new ConfigException.Generic("include of '" + what + "' refused: run files include local files "
                + "only (copy it here and include the file)");
    }
}
