package dev.esactors.train.eval;

import com.typesafe.config.ConfigFactory;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.CheckpointStore;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model to evaluate, wherever it is: a Hugging Face directory, {@code embedded}, a run directory (its export/,
 * else its newest checkpoint), its {@code best/}, or one checkpoint directory. Checkpoints hold fp32 master weights
 * only, so they are loaded into the run's base model, in the run's working dtype: the model the run's own
 * evaluation rounds scored.
 */
public final class EvalModel {

    private static final Pattern CHECKPOINT = Pattern.compile("iter-(\\d{8})");

    /**
     * @param label        how tables name it
     * @param decoder      the model
     * @param tokenizerDir where its tokenizer.json is
     */
    public record Loaded(String label, Decoder decoder, Path tokenizerDir) {
    }

    private EvalModel() {
    }

    /** Loads {@code path} (see the class comment); notes on skipped checkpoints go to {@code notes}. */
    public static Loaded load(Path path, Consumer<String> notes) {
        if (path.toString().equals("embedded")) {
            Path dir = EmbeddedModel.directory();
            return new Loaded("embedded (stories260K)", ModelLoader.load(dir, DeviceSpec.CPU, DType.F32), dir);
        }
        if (Files.isRegularFile(path.resolve("config.json"))) {
            return new Loaded(path.toString(), ModelLoader.load(path, DeviceSpec.CPU, DType.F32), path);
        }
        if (Files.isRegularFile(path.resolve("run.conf"))) {
            Path export = path.resolve("export");
            if (Files.isRegularFile(export.resolve("config.json"))) {
                return new Loaded(path + " (export)", ModelLoader.load(export, DeviceSpec.CPU, DType.F32), export);
            }
            return fromCheckpoints(path, path.resolve("checkpoints"), Long.MAX_VALUE, path.toString(), notes);
        }
        Path parent = path.toAbsolutePath().normalize().getParent();
        Matcher m = CHECKPOINT.matcher(path.getFileName() == null ? "" : path.getFileName().toString());
        if (m.matches() && Files.isRegularFile(path.resolve("state.json")) && parent != null
                && parent.getParent() != null && Files.isRegularFile(parent.getParent().resolve("run.conf"))) {
            return fromCheckpoints(parent.getParent(), parent, Long.parseLong(m.group(1)), path.toString(), notes);
        }
        if (parent != null && Files.isRegularFile(parent.resolve("run.conf")) && Files.isDirectory(path)) {
            return fromCheckpoints(parent, path, Long.MAX_VALUE, path.toString(), notes); // best/ or checkpoints/
        }
        throw new IllegalArgumentException(path + ": not a model directory (no config.json), a run directory (no "
                + "run.conf), a run's best/ or checkpoints/, or a checkpoint directory in one");
    }

    private static Loaded fromCheckpoints(Path runDir, Path store, long iteration, String label,
                                          Consumer<String> notes) {
        RunConfig config = RunConfigLoader.load(runDir.resolve("run.conf"), ConfigFactory.empty());
        EsModel model = BaseModel.load(config, BaseModel.coordinatorDevice(config));
        String hash = EsRun.configHash(model.replica(), config.identity());
        Checkpoint checkpoint = new CheckpointStore(store, Integer.MAX_VALUE).atOrBelow(iteration, hash, notes)
                .orElseThrow(() -> new IllegalArgumentException(store + ": no intact checkpoint"
                        + (iteration == Long.MAX_VALUE ? "" : " at iteration " + iteration) + " of run "
                        + runDir + " (written with its run.conf and base model)"));
        model.replica().loadMaster(checkpoint);
        return new Loaded(label + " (iteration " + checkpoint.iteration() + ")", model.decoder(),
                BaseModel.dir(config));
    }
}
