package dev.esactors.train.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;

import java.io.File;
import java.net.URL;
import java.util.regex.Pattern;

/**
 * Includes in run and study files stay on this machine: {@code include url(...)} and {@code include "http://..."}
 * are refused (a run file would otherwise fetch settings over the network each time it is read); files and class
 * path resources are included as HOCON does by default.
 */
final class LocalIncludes implements ConfigIncluder, ConfigIncluderFile, ConfigIncluderURL, ConfigIncluderClasspath {

    private static final Pattern REMOTE = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:.*");

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
        return fallback.include(context, what);
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
        return ((ConfigIncluderFile) fallback).includeFile(context, file);
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
        return ((ConfigIncluderClasspath) fallback).includeResources(context, what);
    }

    private static ConfigException refused(String what) {
        return new ConfigException.Generic("include of '" + what + "' refused: run files include local files "
                + "only (copy it here and include the file)");
    }
}
