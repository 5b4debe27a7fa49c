package dev.esactors.train.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the configuration checks of dataset files besides their names. */
public final class DatasetFiles {

    private DatasetFiles() {
    }

    /**
     * Whether two existing files hold the same bytes: a copy of the test set under another name is no validation set
     * (comparing paths alone let it through).
     */
    public static boolean sameContent(Path a, Path b) {
        try {
            return Files.isRegularFile(a) && Files.isRegularFile(b) && Files.size(a) == Files.size(b)
                    && Files.mismatch(a, b) == -1;
        } catch (IOException e) {
            return false; // unreadable: the dataset loader says why, naming the file
        }
    }
}
