package dev.esactors.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The rewards of a GRPO run's steps, one line per step in the run directory (for the report and a resume): GRPO's
 * counterpart of the ES journal's rewards. Lines past the checkpoint a run resumes from are dropped and written
 * again, since those steps are recomputed.
 */
final class GrpoHistory {

    static final String FILE = "grpo-rewards.txt";

    private final Path file;
    private final List<double[]> rewards = new ArrayList<>();

    GrpoHistory(Path file) {
        this.file = file;
        if (Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        rewards.add(Arrays.stream(line.trim().split(" ")).mapToDouble(Double::parseDouble).toArray());
                    } catch (NumberFormatException e) {
                        break; // a torn last line: the steps from here are recomputed
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }

    /** Keeps the first {@code steps} steps' rewards (those of the checkpoint resumed from), on disk too. */
    void keep(long steps) {
        if (rewards.size() < steps) {
            throw new IllegalStateException(file + " holds " + rewards.size() + " steps, but the checkpoint is at "
                    + steps);
        }
        rewards.subList((int) steps, rewards.size()).clear();
        StringBuilder text = new StringBuilder();
        rewards.forEach(r -> text.append(line(r)));
        dev.esactors.core.io.AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Appends step {@code t}'s rewards, durably. */
    void append(long t, double[] stepRewards) {
        if (t != rewards.size()) {
            throw new IllegalStateException("step " + t + " after " + rewards.size() + " recorded steps");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(line(stepRewards).getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
        rewards.add(stepRewards.clone());
    }

    /** The rewards of every step so far. */
    List<double[]> rewards() {
        return List.copyOf(rewards);
    }

    private static String line(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : " ").append(v);
        }
        return b.append('\n').toString();
    }
}
