package dev.esactors.cli;

import com.typesafe.config.ConfigFactory;
import dev.esactors.core.es.update.UpdateJournal;
import dev.esactors.core.io.SafetensorsFile;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.state.CheckpointStore;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.config.RunConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded, time-bounded fuzz harness over every parser that reads a user's or a crashed run's files: the task
 * datasets, run files, config.json, tokenizer.json, safetensors files and shard indexes (through the model loader),
 * journal lines and checkpoint state. Each input is a real file with a few seeded mutations (bytes flipped, cut, repeated, deleted;
 * JSON and HOCON tokens, huge and negative numbers, deep nesting, BOMs, invalid UTF-8 inserted). An input must be
 * read, or refused with one of the program's errors naming its file; anything else is a defect: a JDK exception that
 * means a bug (NullPointerException, NumberFormatException, ...), a library's exception let through, an Error
 * (StackOverflowError, OutOfMemoryError), an error that does not say which file, or no answer within 20 s. The surefire JVM is a separate process, so a parser that
 * ended the JVM fails the build too.
 *
 * <p>Each parser gets {@code -Dfuzz.seconds} (default 5) or {@code -Dfuzz.inputs} inputs (default 2,000), whichever
 * ends first; {@code -Dfuzz.seed} changes the seed. The counts are printed, and a defect's input is saved under
 * target/fuzz for replay.
 */
class ParserFuzzTest {

    private static final long SEED = Long.getLong("fuzz.seed", 20261204L);
    private static final double SECONDS = Double.parseDouble(System.getProperty("fuzz.seconds", "5"));
    private static final int MAX_INPUTS = Integer.getInteger("fuzz.inputs", 2000);
    private static final long HANG_SECONDS = 20;
    private static final Path MODEL = Path.of("models/sudoku4-base");
    private static final String[] TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "\n", "\\", "-1", "0", "1e309",
        "-9223372036854775809", "99999999999999999999999", "NaN", "null", "true", "\u0000", "\uFEFF", "${X}",
        "${?HOME}", "include \"x.conf\"", "=", "\r\n", "\"\\ud800\"", "1.5", "\t", "#", "//", "}}}}", ",,"};

    @TempDir
    static Path work;
    private static Path journal;
    private static Path checkpoint;
    private static final List<String> REPORT = new ArrayList<>();
    private static ExecutorService runner = Executors.newSingleThreadExecutor();

    /** A parser under test: reads {@code file} (or the directory it is in) as the program does. */
    @FunctionalInterface
    private interface Parser {
        void parse(Path file) throws Exception;
    }

    @BeforeAll
    static void aRunToTakeJournalAndCheckpointsFrom() {
        Path run = work.resolve("seed-run");
        Cli.Result r = Cli.run("run", "--run-dir", run.toString(), "--iterations", "2", "--evaluators", "0",
                "--set", "es.population=2", "--set", "task.batch=2", "--set", "task.max-new-tokens=8",
                "--set", "checkpoint.every=1", "--set", "checkpoint.keep=2");
        assertEquals(0, r.code(), r.out() + r.err());
        journal = run.resolve("journal.jsonl");
        checkpoint = run.resolve("checkpoints");
    }

    @AfterAll
    static void report() {
        runner.shutdownNow();
        System.out.println("parser fuzzing (seed " + SEED + "):");
        REPORT.forEach(line -> System.out.println("  " + line));
    }

    @Test
    void taskDatasets() throws Exception {
        Map<String, Path> seeds = Map.of(
                "keyword", Path.of("data/keyword/test.jsonl"),
                "conciseness", Path.of("data/conciseness/stories-test.jsonl"),
                "sudoku", Path.of("data/sudoku/d1_4x4_test_sudoku.csv"),
                "countdown", Path.of("es-rewards/src/test/resources/data/countdown/d1_countdown_cd3_test.jsonl"),
                "math", Path.of("es-rewards/src/test/resources/data/math/amc23_test.jsonl"),
                "arc", Path.of("es-rewards/src/test/resources/data/arc/007bbfb7.json"));
        for (String name : new java.util.TreeSet<>(seeds.keySet())) {
            Task<TaskItem> task = Tasks.createForOwnItems(name, Map.of());
            String fileName = seeds.get(name).getFileName().toString();
            fuzz("dataset (" + name + ")", List.of(head(seeds.get(name), 20)), fileName, file -> {
                for (TaskItem item : task.load(file)) {
                    task.userPrompt(item);
                }
            });
        }
    }

    @Test
    void runFiles() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("configs"))) {
            for (Path f : files.sorted().toList()) {
                // Includes are resolved next to the file: each mutated file gets the presets beside it.
                seeds.add(Files.readAllBytes(f));
                Files.copy(f, work.resolve(f.getFileName()));
            }
        }
        seeds.add("run { iterations = 3, dir = \"runs/x\" }\nes { population = 4, sigma = 0.01 }\n"
                .getBytes(StandardCharsets.UTF_8));
        fuzzWith("run file (HOCON)", seeds, "run.conf", (dir, bytes) -> {
            try (Stream<Path> presets = Files.list(work)) { // the presets a run file may include, next to it
                for (Path p : presets.filter(p -> p.toString().endsWith(".conf")).toList()) {
                    Files.copy(p, dir.resolve(p.getFileName()));
                }
            }
            return Files.write(dir.resolve("run.conf"), bytes);
        }, file -> RunConfigLoader.load(file, ConfigFactory.empty()));
    }

    @Test
    void studyFiles() throws Exception {
        // the studies whose grids plan few runs (each input parses all of them); the sudoku4 arms study plans 714
        List<byte[]> seeds = new ArrayList<>();
        for (String name : List.of("study-keyword.conf", "study-sudoku4-2026-12-04.conf")) {
            seeds.add(Files.readAllBytes(Path.of("configs", name)));
        }
        seeds.add(("""
                include "sudoku4.conf"
                eval.datasets = ["data/sudoku/validation_4x4_1000.csv", "data/sudoku/test_4x4_2000.csv"]
                study {
                  seeds = [1, 2]
                  confirm-seeds = [3]
                  completions = 960
                  controls = true
                  budgets = [0.5, 2]
                  diagnostics { samples = 4, items = 10 }
                  arms = [
                    { name = "es", method = "es", set { es.antithetic = true },
                      axes = [ { key = "es.alpha", values = [0.01, 0.02] } ] }
                    { name = "grpo", method = "grpo", axes = [ { key = "grpo.learning-rate", values = [1e-4] } ] }
                  ]
                }
                """).getBytes(StandardCharsets.UTF_8));
        fuzzWith("study file (HOCON)", seeds, "study.conf", (dir, bytes) -> {
            try (Stream<Path> presets = Files.list(work)) { // the presets a study file includes, next to it
                for (Path p : presets.filter(p -> p.toString().endsWith(".conf")).toList()) {
                    Files.copy(p, dir.resolve(p.getFileName()));
                }
            }
            return Files.write(dir.resolve("study.conf"), bytes);
        }, file -> dev.esactors.train.study.StudyPlan.load(file, file.resolveSibling("out")));
    }

    @Test
    void scoreInputs() throws Exception {
        // score's item and completion files, as the command reads them: exit 0, or exit 2 with one line naming the
        // file; a trace, another exit code or a hang is a defect
        Map<String, String> items = Map.of(
                "sudoku", "{\"id\": \"s1\", \"puzzle\": \"3102200002100320\", \"solution\": \"3142243142131324\"}",
                "countdown", first("es-rewards/src/test/resources/data/countdown/d1_countdown_cd3_test.jsonl"),
                "math", first("es-rewards/src/test/resources/data/math/amc23_test.jsonl"),
                "keyword", first("data/keyword/test.jsonl"));
        Map<String, String> completions = Map.of("sudoku", "3 1 4 2\n2 4 3 1\n4 2 1 3\n1 3 2 4",
                "countdown", "<think>28 + 12 = 40</think><answer>(28 + 12) * 2</answer>",
                "math", "so the answer is \\boxed{\\frac{3}{4}}", "keyword", "the happy cat");
        for (String name : new java.util.TreeSet<>(items.keySet())) {
            byte[] item = items.get(name).getBytes(StandardCharsets.UTF_8);
            score(name, Files.write(work.resolve(name + "-item.json"), item), Files.writeString(
                    work.resolve(name + "-completion.txt"), completions.get(name))); // the seeds are read
            fuzzWith("score --item-file (" + name + ")", List.of(item), "item.json", (dir, bytes) -> {
                Files.writeString(dir.resolve("completion.txt"), completions.get(name));
                return Files.write(dir.resolve("item.json"), bytes);
            }, file -> score(name, file, file.resolveSibling("completion.txt")));
            fuzzWith("score --completion-file (" + name + ")", List.of(completions.get(name)
                    .getBytes(StandardCharsets.UTF_8)), "completion.txt", (dir, bytes) -> {
                Files.write(dir.resolve("item.json"), item);
                return Files.write(dir.resolve("completion.txt"), bytes);
            }, file -> score(name, file.resolveSibling("item.json"), file));
        }
    }

    @Test
    void commandLineValues() throws Exception {
        // generate's and eval's numeric options given extreme, malformed or merely unusual values: each run must end
        // with exit 0, or exit 2 naming the option or the value, within the hang limit (a huge count that was
        // accepted and then ran for hours would show here as a hang)
        String[] values = {"0", "-1", "-0", "1", "3", "2147483647", "2147483648", "9999999999", "1e-40", "1e308",
            "NaN", "Infinity", "-Infinity", "", "abc", "0x10", "1,5", "0.5", "1.0000001", " 2", "1e3"};
        Map<String, List<String>> options = Map.of(
                "generate", List.of("--max-new-tokens", "--temperature", "--top-p", "--seed"),
                "eval", List.of("--limit", "--batch", "--samples", "--temperature", "--top-p", "--max-new-tokens",
                        "--seed"));
        Random random = new Random(SEED ^ 0xC11);
        long end = System.nanoTime() + (long) (SECONDS * 1e9);
        int inputs = 0;
        int accepted = 0;
        List<String> defects = new ArrayList<>();
        while (inputs < MAX_INPUTS && System.nanoTime() < end && defects.size() < 5) {
            String command = random.nextBoolean() ? "generate" : "eval";
            List<String> args = new ArrayList<>(command.equals("generate")
                    ? List.of("generate", "--prompt", "Once upon a time")
                    : List.of("eval", "--task", "keyword", "--data", "data/keyword/test.jsonl", "--out",
                            work.resolve("fuzz-eval.jsonl").toString(), "--limit", "2"));
            List<String> given = new ArrayList<>();
            for (int o = 1 + random.nextInt(2); o > 0; o--) {
                String option = options.get(command).get(random.nextInt(options.get(command).size()));
                String value = values[random.nextInt(values.length)];
                args.add(option);
                args.add(value);
                given.add(option + " " + value);
            }
            inputs++;
            Future<Cli.Result> done = runner.submit(() -> Cli.run(args.toArray(new String[0])));
            Cli.Result r;
            try {
                r = done.get(HANG_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                done.cancel(true);
                runner.shutdownNow();
                runner = Executors.newSingleThreadExecutor();
                defects.add(String.join(" ", args) + ": no answer within " + HANG_SECONDS + " s");
                continue;
            } catch (java.util.concurrent.ExecutionException e) { // an Error through the command's handler
                defects.add(String.join(" ", args) + ": " + e.getCause());
                continue;
            }
            if (r.code() == 0) {
                accepted++;
            } else if (r.code() != 2 || r.err().contains("\tat ")
                    || given.stream().noneMatch(g -> r.err().contains(g.split(" ", 2)[0]) || (!g.endsWith(" ")
                    && r.err().contains(g.split(" ", 2)[1].strip())))) {
                defects.add(String.join(" ", args) + ": exit " + r.code() + ", " + r.err().strip());
            }
        }
        REPORT.add(String.format(Locale.ROOT, "%-34s %5d inputs, %5d run, %5d refused naming the option, %d defects",
                "command-line values", inputs, accepted, inputs - accepted - defects.size(), defects.size()));
        assertTrue(inputs >= 10 || !defects.isEmpty(), "only " + inputs + " command lines in the time given");
        assertEquals(List.of(), defects, "command-line values");
    }

    private static String first(String dataset) throws IOException {
        return Files.readAllLines(Path.of(dataset), StandardCharsets.UTF_8).get(0);
    }

    /** Runs score: returns when it exits 0; a refusal naming a file is thrown as one; anything else as a defect. */
    private static void score(String task, Path item, Path completion) {
        Cli.Result r = Cli.run("score", "--task", task, "--item-file", item.toString(), "--completion-file",
                completion.toString());
        if (r.code() == 0) {
            return;
        }
        String said = r.err().strip();
        if (r.code() == 2 && said.lines().count() <= 3 && !said.contains("\tat ")) {
            throw new IllegalArgumentException(said);
        }
        throw new AssertionError("score exited " + r.code() + ": " + said);
    }

    @Test
    void configJson() throws Exception {
        fuzz("config.json", List.of(Files.readAllBytes(MODEL.resolve("config.json"))), "config.json",
                file -> ConfigJson.read(file.getParent()));
    }

    @Test
    void tokenizerJson() throws Exception {
        fuzz("tokenizer.json", List.of(Files.readAllBytes(MODEL.resolve("tokenizer.json"))), "tokenizer.json",
                file -> {
                    try (HfTokenizer tokenizer = HfTokenizer.load(file.getParent())) {
                        tokenizer.decode(tokenizer.encode("1 2 . 4"));
                    }
                });
    }

    @Test
    void safetensorsThroughTheModelLoader() throws Exception {
        byte[] whole = Files.readAllBytes(MODEL.resolve("model.safetensors"));
        long headerLength = java.nio.ByteBuffer.wrap(whole, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        int prefix = (int) (8 + headerLength);
        byte[] data = Arrays.copyOfRange(whole, prefix, whole.length);
        // The header is what is parsed; the tensor bytes are only copied, so they follow each mutated header as is.
        fuzzWith("safetensors header + model loader", List.of(Arrays.copyOf(whole, prefix)), "model.safetensors",
                (dir, header) -> {
                    Files.copy(MODEL.resolve("config.json"), dir.resolve("config.json"));
                    Path file = dir.resolve("model.safetensors");
                    try (var out = Files.newOutputStream(file)) {
                        out.write(header);
                        out.write(data);
                    }
                    return file;
                },
                file -> {
                    try (SafetensorsFile f = SafetensorsFile.open(file)) {
                        f.tensors().keySet().forEach(name -> f.load(name).close());
                    }
                    ModelLoader.load(file.getParent(), DeviceSpec.CPU, DType.F32);
                });
    }

    @Test
    void shardIndexThroughTheModelLoader() throws Exception {
        Path shard = work.resolve("model-00001-of-00001.safetensors");
        Files.copy(MODEL.resolve("model.safetensors"), shard);
        com.fasterxml.jackson.databind.node.ObjectNode index = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode();
        index.putObject("metadata").put("total_size", Files.size(shard));
        var map = index.putObject("weight_map");
        try (SafetensorsFile f = SafetensorsFile.open(shard)) {
            f.tensors().keySet().forEach(name -> map.put(name, shard.getFileName().toString()));
        }
        fuzzWith("model.safetensors.index.json", List.of(index.toPrettyString().getBytes(StandardCharsets.UTF_8)),
                "model.safetensors.index.json", (dir, bytes) -> {
                    Files.copy(MODEL.resolve("config.json"), dir.resolve("config.json"));
                    Files.createLink(dir.resolve(shard.getFileName()), shard); // the shard's bytes, not a copy
                    return Files.write(dir.resolve("model.safetensors.index.json"), bytes);
                },
                file -> ModelLoader.load(file.getParent(), DeviceSpec.CPU, DType.F32));
    }

    @Test
    void journalLines() throws Exception {
        fuzz("journal.jsonl", List.of(Files.readAllBytes(journal)), "journal.jsonl", file -> {
            UpdateJournal.read(file);
            UpdateJournal.open(file).close();
        });
    }

    @Test
    void checkpointState() throws Exception {
        Path newest = checkpoint.resolve("iter-00000002");
        byte[] weights = Files.readAllBytes(newest.resolve("weights.safetensors"));
        String hash = new com.fasterxml.jackson.databind.ObjectMapper().readTree(newest.resolve("state.json").toFile())
                .path("configHash").asText();
        fuzzWith("checkpoint state.json", List.of(Files.readAllBytes(newest.resolve("state.json"))), "iter-00000002",
                (dir, state) -> {
                    Path at = Files.createDirectories(dir.resolve("checkpoints/iter-00000002"));
                    Files.write(at.resolve("weights.safetensors"), weights);
                    return Files.write(at.resolve("state.json"), state);
                },
                file -> new CheckpointStore(file.getParent().getParent(), 2).latest(2, hash, warning -> { })
                        .ifPresent(c -> {
                            c.master().values().forEach(org.bytedeco.pytorch.Tensor::close);
                            c.optimizer().values().forEach(org.bytedeco.pytorch.Tensor::close);
                        }));
    }

    /** Fuzzes a parser of single files named {@code fileName}. */
    private void fuzz(String parser, List<byte[]> seeds, String fileName, Parser parse) throws Exception {
        fuzzWith(parser, seeds, fileName, (dir, bytes) -> Files.write(dir.resolve(fileName), bytes), parse);
    }

    /** Writes an input's files into a fresh directory and returns the file the parser reads. */
    @FunctionalInterface
    private interface Layout {
        Path write(Path dir, byte[] input) throws IOException;
    }

    private void fuzzWith(String parser, List<byte[]> seeds, String mustName, Layout layout, Parser parse)
            throws Exception {
        Random random = new Random(SEED ^ parser.hashCode());
        long end = System.nanoTime() + (long) (SECONDS * 1e9);
        int inputs = 0;
        int accepted = 0;
        List<String> defects = new ArrayList<>();
        Path base = Files.createDirectories(work.resolve(parser.replaceAll("[^A-Za-z0-9]+", "-")));
        while (inputs < MAX_INPUTS && System.nanoTime() < end && defects.size() < 5) {
            byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            Path dir = Files.createDirectories(base.resolve(Integer.toString(inputs)));
            Path file = layout.write(dir, input);
            inputs++;
            String defect = outcome(parse, file, mustName);
            if (defect == null) {
                accepted++;
            } else if (!defect.isEmpty()) {
                Path saved = Files.createDirectories(Path.of("es-cli/target/fuzz"))
                        .resolve(parser.replaceAll("[^A-Za-z0-9]+", "-") + "-" + inputs + ".bin");
                Files.write(saved, input);
                defects.add(defect + " (input saved as " + saved + ")");
            }
            deleteTree(dir);
        }
        REPORT.add(String.format(Locale.ROOT, "%-34s %5d inputs, %5d read, %5d refused naming the file, %d defects, "
                + "%.1f s", parser, inputs, accepted, inputs - accepted - defects.size(), defects.size(),
                SECONDS - Math.max(0, (end - System.nanoTime()) / 1e9)));
        assertTrue(inputs >= 20 || !defects.isEmpty(), parser + ": only " + inputs + " inputs in the time given");
        assertEquals(List.of(), defects, parser);
    }

    /**
     * null: the input was read; "": refused with an error naming the file; otherwise the defect.
     */
    private static String outcome(Parser parse, Path file, String mustName) throws InterruptedException {
        Future<?> done = runner.submit(() -> {
            parse.parse(file);
            return null;
        });
        try {
            done.get(HANG_SECONDS, TimeUnit.SECONDS);
            return null;
        } catch (TimeoutException e) {
            done.cancel(true);
            runner.shutdownNow();
            runner = Executors.newSingleThreadExecutor(); // the hung thread is left behind
            return "no answer within " + HANG_SECONDS + " s";
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (!refusal(cause)) {
                return cause.getClass().getName() + ": " + cause.getMessage() + " at " + where(cause);
            }
            if (cause.getMessage() == null || !cause.getMessage().contains(mustName)) {
                return "an error that does not name " + mustName + ": " + cause.getMessage();
            }
            return "";
        }
    }

    /**
     * Whether {@code e} is how a parser refuses input: one of the program's own errors, not an Error, not a JDK
     * exception that means a bug (NullPointerException, IndexOutOfBoundsException, ...), and not a library's
     * exception let through unexplained (HOCON's, Jackson's).
     */
    private static boolean refusal(Throwable e) {
        if (!(e instanceof RuntimeException) || e instanceof NumberFormatException) {
            return false;
        }
        String type = e.getClass().getName();
        if (type.startsWith("com.typesafe.") || type.startsWith("com.fasterxml.")) {
            return false;
        }
        return e instanceof UncheckedIOException || !type.startsWith("java.")
                || e.getClass() == IllegalArgumentException.class || e.getClass() == IllegalStateException.class;
    }

    private static String where(Throwable t) {
        StackTraceElement[] trace = t.getStackTrace();
        return trace.length == 0 ? "?" : trace[0].toString();
    }

    /** One to four seeded mutations of {@code seed}. */
    static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed;
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            int at = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            switch (random.nextInt(9)) {
                case 0 -> { // one byte to any value
                    if (b.length > 0) {
                        b = b.clone();
                        b[Math.min(at, b.length - 1)] = (byte) random.nextInt(256);
                    }
                }
                case 1 -> b = Arrays.copyOf(b, at); // cut
                case 2 -> { // a range deleted
                    int to = Math.min(b.length, at + 1 + random.nextInt(64));
                    b = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, to, b.length));
                }
                case 3 -> { // a range repeated
                    int to = Math.min(b.length, at + 1 + random.nextInt(256));
                    b = concat(Arrays.copyOf(b, to), Arrays.copyOfRange(b, at, b.length));
                }
                case 4 -> b = insert(b, at, TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
                case 5 -> { // a number replaced by an extreme one
                    String[] extreme = {"0", "-1", "2147483648", "-2147483649", "9223372036854775807", "1e308",
                        "1e-320", "18446744073709551616", "3.5"};
                    int digit = indexOfDigit(b, at);
                    if (digit >= 0) {
                        int to = digit;
                        while (to < b.length && Character.isDigit(b[to])) {
                            to++;
                        }
                        b = concat(concat(Arrays.copyOf(b, digit), extreme[random.nextInt(extreme.length)]
                                .getBytes(StandardCharsets.UTF_8)), Arrays.copyOfRange(b, to, b.length));
                    }
                }
                case 6 -> { // deep nesting
                    String open = random.nextBoolean() ? "[" : "{\"a\":";
                    b = insert(b, at, open.repeat(2000 + random.nextInt(200_000)).getBytes(StandardCharsets.UTF_8));
                }
                case 7 -> { // bytes that are not UTF-8
                    byte[] junk = new byte[1 + random.nextInt(8)];
                    for (int i = 0; i < junk.length; i++) {
                        junk[i] = (byte) (0x80 + random.nextInt(128));
                    }
                    b = insert(b, at, junk);
                }
                default -> { // a bit flipped
                    if (b.length > 0) {
                        b = b.clone();
                        b[Math.min(at, b.length - 1)] ^= (byte) (1 << random.nextInt(8));
                    }
                }
            }
        }
        return b;
    }

    private static int indexOfDigit(byte[] b, int from) {
        for (int i = 0; i < b.length; i++) {
            int j = (from + i) % b.length;
            if (Character.isDigit(b[j])) {
                return j;
            }
        }
        return -1;
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        return concat(concat(Arrays.copyOf(b, at), what), Arrays.copyOfRange(b, at, b.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The first {@code lines} lines of {@code file}. */
    private static byte[] head(Path file, int lines) throws IOException {
        List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
        return (String.join("\n", all.subList(0, Math.min(lines, all.size()))) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
