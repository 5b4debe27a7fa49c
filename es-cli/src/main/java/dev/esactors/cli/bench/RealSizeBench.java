package dev.esactors.cli.bench;

import dev.esactors.core.model.Architecture;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.RopeConfig;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceMemory;
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
 * each phase runs as its own es-actors process (so that its memory is its own): load and decode; where the fp32
 * master fits in memory beside the working copy, one ES iteration of a run with its checkpoint and export, and replay
 * of the journal; the same iteration with the master in a memory-mapped file ({@code model.master = mapped}), with
 * its export; loading the export back. Prints each phase's wall time and resident memory (all, anonymous, and
 * file-backed: the mapped master's pages in memory) against the model's parameters.
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
            // Qwen2.5-7B-Instruct's (the base model's context is 131,072; the parameters are the same)
            "qwen2.5-7b", new ModelConfig(Architecture.QWEN2, 3584, 18944, 28, 28, 4, 128, 152_064, 32_768, 1e-6,
                    RopeConfig.plain(1_000_000), false, true, false, false, -1, List.of(151_643), -1, 0.02),
            "qwen2.5-1.5b", new ModelConfig(Architecture.QWEN2, 1536, 8960, 28, 12, 2, 128, 151_936, 32_768, 1e-6,
                    RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(151_643), -1, 0.02),
            "qwen2.5-0.5b", new ModelConfig(Architecture.QWEN2, 896, 4864, 24, 14, 2, 64, 151_936, 32_768, 1e-6,
                    RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(151_643), -1, 0.02),
            // Not a real model: the same phases in seconds, for the test that keeps this command working.
            "tiny-qwen2", new ModelConfig(Architecture.QWEN2, 64, 128, 2, 4, 2, 16, 1024, 256, 1e-6,
                    RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(2), -1, 0.02));

    private static final long SHARD_BYTES = 1L << 30;

    @Parameters(paramLabel = "NAME", description = "qwen2.5-7b, qwen2.5-1.5b, qwen2.5-0.5b or tiny-qwen2 (seconds, "
            + "for tests)")
    String shape;

    @Option(names = "--dir", paramLabel = "DIR", description = "where the model and the run go (default: a new "
            + "temporary directory)")
    Path dir;

    @Option(names = "--write-only", hidden = true, description = "(a phase of this benchmark) write the model into "
            + "--dir and stop")
    boolean writeOnly;

    @Option(names = "--mapped-es-phase", hidden = true, description = "(a phase of this benchmark) an ES iteration "
            + "of the model in --dir with its master mapped, and its export")
    boolean mappedEsPhase;

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
        if (mappedEsPhase) {
            MappedEsPhase.run(dir.resolve("model"), dir.resolve("mapped"), spec.commandLine().getOut());
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
        long parameters = config.parameterCount();
        double fp32 = parameters * 4.0;
        Path run = dir.resolve("run");
        Path model = dir.resolve("model");
        out.printf(Locale.ROOT, "%s: %,d parameters; fp32 master %.2f GB, bf16 copy %.2f GB; phases in %s%n", shape,
                parameters, fp32 / 1e9, fp32 / 2e9, dir);
        List<PhaseProcess> phases = new ArrayList<>(List.of(
                new PhaseProcess("write a random model: bf16 shards + index", List.of("bench", "shape", shape,
                        "--dir", model.toString(), "--write-only")),
                new PhaseProcess("load (bf16) + decode 16 tokens", List.of("generate", "--model", model.toString(),
                        "--dtype", "bf16", "--prompt", "Once upon a time", "--max-new-tokens", "16", "--ids"))));
        // the goal the in-memory master was held to: fp32 master + bf16 copy + 25%
        double inMemory = fp32 * 1.5 * 1.25;
        boolean fits = inMemory < physicalMemoryBytes();
        if (fits) {
            phases.add(new PhaseProcess("run, master in memory: 1 ES iteration, checkpoint, export", List.of("run",
                    "--run-dir", run.toString(), "--evaluators", "0", "--iterations", "1", "--set",
                    "model.path=\"" + model + "\"", "--set", "model.dtype=bf16", "--set", "es.population=2", "--set",
                    "task.batch=2", "--set", "task.max-new-tokens=8", "--set", "checkpoint.every=1")));
            phases.add(new PhaseProcess("replay the journal from the base model, export", List.of("replay",
                    run.toString())));
        }
        phases.add(new PhaseProcess("ES, master mapped: load, 1 iteration, export", List.of("bench",
                "shape", shape, "--dir", dir.toString(), "--mapped-es-phase")));
        phases.add(new PhaseProcess("load the mapped run's export (bf16) + decode 16 tokens", List.of("generate",
                "--model", dir.resolve("mapped/export").toString(), "--dtype", "bf16", "--prompt", "Once upon a time",
                "--max-new-tokens", "16", "--ids")));
        out.printf("one ES iteration: 2 members x 2 prompts x 8 new tokens, a bf16 working copy%n");
        out.printf("%-58s %8s %9s %9s %7s %9s %7s%n", "phase (own process)", "seconds", "peak RSS", "anon", "B/param",
                "file", "B/param");
        for (PhaseProcess phase : phases) {
            PhaseProcess.Result r = phase.run(mainClass);
            out.printf(Locale.ROOT, "%-58s %8.1f %6.2f GB %6.2f GB %7.2f %6.2f GB %7.2f%n", phase.name(), r.seconds(),
                    r.peakBytes() / 1e9, r.peakAnon() / 1e9, (double) r.peakAnon() / parameters, r.peakFile() / 1e9,
                    (double) r.peakFile() / parameters);
            r.output().lines().filter(l -> l.startsWith(MappedEsPhase.STEP)).forEach(out::println);
            out.flush();
            if (r.exitCode() != 0) {
                out.println("  failed (exit " + r.exitCode() + "):");
                r.output().lines().skip(Math.max(0, r.output().lines().count() - 15)).forEach(l -> out.println("  " + l));
                return;
            }
        }
        if (!fits) {
            out.printf(Locale.ROOT, "not run: the in-memory master's phases (run with checkpoint, replay) need about "
                    + "%.1f GB of memory, this machine has %.1f GB%n", inMemory / 1e9, physicalMemoryBytes() / 1e9);
        }
        out.printf(Locale.ROOT, "anon: anonymous memory (tensors, the JVM); file: mapped file pages held in memory "
                + "(the mapped master, weight files), which the kernel drops when memory is short. A checkpoint adds "
                + "%.2f GB of disk (the fp32 master), %.2f GB more with Adam%n", fp32 / 1e9, 2 * fp32 / 1e9);
    }

    /** This machine's memory (MemTotal), or the largest long when /proc does not say. */
    private static long physicalMemoryBytes() {
        long total = DeviceMemory.procBytes(Path.of("/proc/meminfo"), "MemTotal:");
        return total < 0 ? Long.MAX_VALUE : total;
    }

    /** Called in a measured process at exit: its peak resident memory (bytes) and CPU seconds. */
    public static void writePeak(Path file) {
        try {
            Files.writeString(file, ProcessMeter.peakRssBytes() + " " + ProcessMeter.cpuSeconds());
        } catch (IOException e) {
            // the benchmark reports the peak as unknown
        }
    }
}
