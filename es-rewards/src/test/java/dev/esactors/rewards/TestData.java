package dev.esactors.rewards;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Paths of the test data copied into src/test/resources/data (see PROVENANCE.md there). */
public final class TestData {

    private TestData() {
    }

    public static Path path(String relative) {
        try {
            return Path.of(TestData.class.getResource("/data/" + relative).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test data file data/" + relative + " is missing", e);
        }
    }
}
