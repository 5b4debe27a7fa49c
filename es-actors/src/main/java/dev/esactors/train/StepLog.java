package dev.esactors.train;

import dev.esactors.core.io.AtomicFiles;
import dev.esactors.train.config.RunConfig;

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
 * Numbers per step, one line per step in the run directory, appended durably as the run goes: a GRPO run's rewards
 * (the counterpart of the ES journal's), and what every run sampled and trained on ({@link #COUNTS}). On a resume,
 * the lines past the point resumed from are dropped and written again, since those steps are recomputed.
 */
public final class StepLog {

    /** A GRPO run's rewards: the sampled completions', prompt by prompt. */
    static final String GRPO_REWARDS = "grpo-rewards.txt";
    /**
     * Per step: completions sampled, tokens generated, tokens trained on (backpropagated through; ES: 0), the
     * core-seconds its process spent since the step before (evaluation rounds between them included), the prompt
     * tokens its completions were decoded after, and the wall seconds since the step before (likewise).
     */
    public static final String COUNTS = "counts.txt";

    private final Path file;
    private final List<double[]> steps = new ArrayList<>();

    StepLog(Path file) {
        this.file = file;
        if (Files.isRegularFile(file)) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            int last = lines.size() - 1;
            while (last >= 0 && lines.get(last).isBlank()) {
                last--;
            }
            for (int i = 0; i <= last; i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                try {
                    steps.add(Arrays.stream(lines.get(i).trim().split(" ")).mapToDouble(Double::parseDouble)
                            .toArray());
                } catch (NumberFormatException e) {
                    if (i == last) {
                        break; // a torn last line (the process died writing it): that step is recomputed
                    }
                    // not a torn write: dropping it and every step after would lose their counts in silence
                    throw new IllegalStateException(file + " line " + (i + 1) + " is not a step's numbers ('"
                            + lines.get(i).strip() + "'), with steps after it: the log is damaged. Restore it, or "
                            + "delete it to resume with the steps before the checkpoint counted as unknown");
                }
            }
        }
    }

    /**
     * Keeps the first {@code count} steps (those of the checkpoint resumed from), on disk too. A log that holds fewer
     * (the process died between committing a step and logging it) is filled with NaN for the steps it lacks, unless
     * {@code strict}, when that is an error.
     */
    void keep(long count, boolean strict) {
        if (steps.size() < count && strict) {
            throw new IllegalStateException(file + " holds " + steps.size() + " steps, but the checkpoint is at "
                    + count);
        }
        while (steps.size() < count) {
            steps.add(new double[] {Double.NaN});
        }
        steps.subList((int) count, steps.size()).clear();
        StringBuilder text = new StringBuilder();
        steps.forEach(r -> text.append(line(r)));
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Appends step {@code t}'s numbers, durably. */
    void append(long t, double... values) {
        if (t != steps.size()) {
            throw new IllegalStateException("step " + t + " after " + steps.size() + " recorded steps in " + file);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(line(values).getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
        steps.add(values.clone());
    }

    /** The sum of column {@code c} over the steps so far (NaN where a step lacks it). */
    double sum(int c) {
        double sum = 0;
        for (double[] step : steps) {
            sum += c < step.length ? step[c] : Double.NaN;
        }
        return sum;
    }

    /**
     * The end of a run with {@code config}'s budgets at step {@code t}: t once its tokens or its core-seconds are
     * spent (steps logged before core-seconds were counted count as none).
     */
    long end(RunConfig config, long t) {
        RunConfig.Run run = config.run();
        boolean tokensSpent = run.tokenBudget() > 0 && sum(1) >= run.tokenBudget();
        boolean cpuSpent = run.coreSeconds() > 0 && known(CORE_SECONDS) >= run.coreSeconds();
        return tokensSpent || cpuSpent ? t : config.iterations();
    }

    /** The sum of column {@code c} over the steps that have it. */
    double known(int c) {
        double sum = 0;
        for (double[] step : steps) {
            sum += c < step.length && !Double.isNaN(step[c]) ? step[c] : 0;
        }
        return sum;
    }

    /** Column of {@link #COUNTS}: core-seconds since the step before. */
    public static final int CORE_SECONDS = 3;
    /** Column of {@link #COUNTS}: prompt tokens (steps logged before it was kept lack it). */
    public static final int PROMPT_TOKENS = 4;
    /** Column of {@link #COUNTS}: wall seconds since the step before (steps logged before it was kept lack it). */
    public static final int WALL_SECONDS = 5;

    /** Every step's numbers so far. */
    List<double[]> steps() {
        return List.copyOf(steps);
    }

    /**
     * The column sums of {@code dir}'s {@link #COUNTS} log: completions sampled, tokens generated, tokens trained on.
     * NaN where a step's counts are missing; all NaN when the run kept no counts (an ES run on the actors).
     */
    public static double[] totals(Path dir) {
        StepLog log = new StepLog(dir.resolve(COUNTS));
        if (log.steps.isEmpty()) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        return new double[] {log.sum(0), log.sum(1), log.sum(2)};
    }

    /** The sum of {@code column} over {@code dir}'s {@link #COUNTS} log; NaN where a step lacks it, or no log. */
    public static double total(Path dir, int column) {
        StepLog log = new StepLog(dir.resolve(COUNTS));
        return log.steps.isEmpty() ? Double.NaN : log.sum(column);
    }

    /** Column {@code column} of {@code dir}'s {@link #COUNTS} log, step by step (NaN where a step lacks it). */
    public static double[] column(Path dir, int column) {
        return new StepLog(dir.resolve(COUNTS)).steps.stream()
                .mapToDouble(step -> column < step.length ? step[column] : Double.NaN).toArray();
    }

    private static String line(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : " ").append(v);
        }
        return b.append('\n').toString();
    }
}
