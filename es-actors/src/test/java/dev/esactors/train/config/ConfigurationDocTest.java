package dev.esactors.train.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** docs/configuration.md documents exactly the keys of es-run-defaults.conf, each with its default. */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("../docs/configuration.md");
    private static final Pattern ROW = Pattern.compile("(?m)^\\| `([a-z-]+(?:\\.[a-z0-9.-]+)?)` \\| `([^`]*)` \\|");

    @Test
    void everyKeyIsDocumentedWithItsDefaultAndNothingElse() throws IOException {
        Config defaults = ConfigFactory.parseResources(RunConfigLoader.class, "/es-run-defaults.conf");
        Set<String> keys = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) {
            keys.add(e.getKey());
        }
        keys.add("task.options"); // an empty object has no entries, but it is a key users set
        Matcher m = ROW.matcher(Files.readString(DOC));
        Set<String> documented = new TreeSet<>();
        while (m.find()) {
            String key = m.group(1);
            documented.add(key);
            String actual = key.equals("task.options") ? "{ }"
                    : defaults.getValue(key).render(ConfigRenderOptions.concise());
            assertEquals(normalise(actual), normalise(m.group(2)), "default of " + key + " in " + DOC);
        }
        assertEquals(keys, documented, "keys of es-run-defaults.conf vs the rows of " + DOC);
    }

    /** HOCON renders durations as strings ("10m"); the doc shows them bare. */
    private static String normalise(String value) {
        return value.replace(" ", "").replaceAll("^\"(\\d+[a-z]+)\"$", "$1");
    }
}
