package dev.esactors.cli.bench;

import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.RopeConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.train.ProcessMeter;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bench shape qwen2.5-1.5b}: a model of real size through the whole system on this machine. A random model
 * with the exact config of the named one is written as bf16 shards with an index (as Hugging Face ships it), then
 * each phase runs as its own es-actors process (so that its peak memory is its own): load and decode, one ES
 * iteration of a few members with a bf16 working copy over the fp32 master plus its checkpoint and export, replay of
 * the journal, and loading the export back. Prints each phase's wall time and peak resident memory against the
 * model's fp32 bytes.
 */
@Command(name = "shape", mixinStandardHelpOptions = true,
        description = "A random model with a real model's exact config, written as bf16 shards and run through load, "
                + "decode, an ES iteration, checkpoint, export, replay and reload, each phase in its own process: "
                + "times and peak memory.")
public final class RealSizeBench implements Callable<Integer> {

    /** Environment variable naming the file where an es-actors process writes its peak memory and CPU time. */
    public static final String PEAK_FILE = "ES_ACTORS_PEAK_FILE";

    /** Configs of real models, exactly as their config.json says (tokenizer aside: the embedded one's is used). */
    static final Map<String, ModelConfig> SHAPES = Map.of(
            "qwen2.5-1.5b", new ModelConfig(Architecture.QWEN2, 1536, 8960, 28, 12, 2, 128, 151_936, 32_768, 1e-6,
                    RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(151_643), -1, 0.02),
            "qwen2.5-0.5b", new ModelConfig(Architecture.QWEN2, 896, 4864, 24, 14, 2, 64, 151_936, 32_768, 1e-6,
                    RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(151_643), -1, 0.02),
            // Not a real model: the same phases in seconds, for the test that keeps this command working.
            "tiny-qwen2", new ModelConfig(Architecture.QWEN2, 64, 128, 2, 4, 2, 16, 1024, 256, 1e-6,
                    RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(2), -1, 0.02));

    private static final long SHARD_BYTES = 1L << 30;

    @Parameters(paramLabel = "NAME", description = "qwen2.5-1.5b, qwen2.5-0.5b or tiny-qwen2 (seconds, "
            + "for tests)")
    String shape;

    @Option(names = "--dir", paramLabel = "DIR", description = "where the model and the run go (default: a new "
            + "temporary directory)")
    Path dir;

    @Option(names = "--write-only", hidden = true, description = "(a phase of this benchmark) write the model into "
            + "--dir and stop")
    boolean writeOnly;

    @Spec
    CommandSpec spec;

    private String mainClass;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!SHAPES.containsKey(shape)) {
            throw new ParameterException(spec.commandLine(), "unknown shape '" + shape + "'; known: "
                    + SHAPES.keySet());
        }
        if (writeOnly) {
            writeModel(shape, dir);
            return 0;
        }
        dir = dir != null ? dir : Files.createTempDirectory("es-real-size");
        mainClass = spec.root().userObject().getClass().getName(); // each phase runs this command line anew
        run(spec.commandLine().getOut());
        return 0;
    }

    /** Writes the random model (in the process that calls it: a phase of its own). */
    private static void writeModel(String shape, Path dir) throws IOException {
        ModelConfig config = SHAPES.get(shape);
        Decoder decoder = ModelLoader.random(config, 42, DeviceSpec.CPU, DType.BF16);
        Files.createDirectories(dir);
        ConfigJson.write(config, dir, "bfloat16");
        int shards = ModelLoader.saveSharded(decoder, dir, SHARD_BYTES);
        // Prompts need a tokenizer; the embedded model's ids (< 512) are all inside this vocabulary.
        Files.copy(EmbeddedModel.directory().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        System.out.printf(Locale.ROOT, "wrote %s: %,d parameters in %d bf16 shards%n", dir, config.parameterCount(),
                shards);
    }

    private void run(PrintWriter out) throws IOException, InterruptedException {
        ModelConfig config = SHAPES.get(shape);
        double fp32 = config.parameterCount() * 4.0;
        Path run = dir.resolve("run");
        out.printf(Locale.ROOT, "%s: %,d parameters; fp32 master %.2f GB, bf16 copy %.2f GB; phases in %s%n", shape,
                config.parameterCount(), fp32 / 1e9, fp32 / 2e9, dir);
        out.printf("%-58s %9s %11s %9s%n", "phase (own process)", "seconds", "peak RSS", "/ fp32");
        List<Phase> phases = List.of(
                new Phase("write a random model: bf16 shards + index", List.of("bench", "shape", shape,
                        "--dir", dir.resolve("model").toString(), "--write-only")),
                new Phase("load (bf16) + decode 16 tokens", List.of("generate", "--model",
                        dir.resolve("model").toString(), "--dtype", "bf16", "--prompt", "Once upon a time",
                        "--max-new-tokens", "16", "--ids")),
                new Phase("run: load, 1 ES iteration (2 members x 2 prompts x 8 tokens), checkpoint, export",
                        List.of("run", "--run-dir", run.toString(), "--evaluators", "0", "--iterations", "1",
                                "--set", "model.path=\"" + dir.resolve("model") + "\"", "--set", "model.dtype=bf16",
                                "--set", "es.population=2", "--set", "task.batch=2", "--set",
                                "task.max-new-tokens=8", "--set", "checkpoint.every=1")),
                new Phase("replay the journal from the base model", List.of("replay", run.toString())),
                new Phase("load the export (bf16) + decode 16 tokens", List.of("generate", "--model",
                        run.resolve("export").toString(), "--dtype", "bf16", "--prompt", "Once upon a time",
                        "--max-new-tokens", "16", "--ids")));
        for (Phase phase : phases) {
            Result r = phase.run(mainClass);
            out.printf(Locale.ROOT, "%-58s %9.1f %8.2f GB %8.2fx%n", phase.name(), r.seconds(), r.peakBytes() / 1e9,
                    r.peakBytes() / fp32);
            out.flush();
            if (r.exitCode() != 0) {
                out.println("  failed (exit " + r.exitCode() + "):");
                r.output().lines().skip(Math.max(0, r.output().lines().count() - 15)).forEach(l -> out.println("  " + l));
                return;
            }
        }
        out.printf(Locale.ROOT, "goal: peak <= fp32 master + bf16 copy + 25%% = %.2f GB (%.2fx the fp32 bytes)%n",
                fp32 * 1.5 * 1.25 / 1e9, 1.5 * 1.25);
    }

    /** Called in a measured process at exit: its peak resident memory (bytes) and CPU seconds. */
    public static void writePeak(Path file) {
        try {
            Files.writeString(file, ProcessMeter.peakRssBytes() + " " + ProcessMeter.cpuSeconds());
        } catch (IOException e) {
            // the benchmark reports the peak as unknown
        }
    }

    private record Result(int exitCode, double seconds, long peakBytes, String output) {
    }

    private record Phase(String name, List<String> args) {
        Result run(String mainClass) throws IOException, InterruptedException {
            Path peak = Files.createTempFile("es-peak", ".txt");
            Path log = Files.createTempFile("es-phase", ".log");
            try {
                List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command()
                        .orElse("java")));
                command.addAll(List.of("-Doffline=true", "-Des.home=" + System.getProperty("es.home", "."),
                        "-cp", System.getProperty("java.class.path"), mainClass));
                command.addAll(args);
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                builder.environment().put(PEAK_FILE, peak.toString());
                long start = System.nanoTime();
                int code = builder.start().waitFor();
                double seconds = (System.nanoTime() - start) / 1e9;
                String measured = Files.readString(peak).strip();
                long bytes = measured.isEmpty() ? -1 : Long.parseLong(measured.split(" ")[0]);
                return new Result(code, seconds, bytes, Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(peak);
                Files.deleteIfExists(log);
            }
        }
    }
}
