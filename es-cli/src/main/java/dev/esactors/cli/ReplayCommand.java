package dev.esactors.cli;

import com.typesafe.config.ConfigFactory;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.es.JournalReplay;
import dev.esactors.core.es.update.UpdateJournal;
import dev.esactors.core.state.HfExport;
import dev.esactors.core.torch.DType;
import dev.esactors.train.RunDirectory;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code es-actors replay}: a run's weights at any iteration, rebuilt from its update journal and exported. Runs
 * keep only their last checkpoints; the journal (seeds and scalars) holds every step, so any intermediate model can
 * be had back bit for bit, and {@code --from-base} audits a whole run against its newest checkpoint.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rebuild a run's weights at any iteration from its update journal and export them (Hugging "
                + "Face layout). Run it from the directory the run was started in (like run --resume).")
final class ReplayCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "the run directory (holds run.conf and journal.jsonl)")
    Path runDir;

    @Option(names = "--iteration", description = "updates to apply (default: all in the journal)")
    Long iteration;

    @Option(names = "--from-base", description = "re-apply every update from the base weights instead of starting "
            + "at the newest checkpoint at or below the iteration; a checkpoint at the iteration is then checked")
    boolean fromBase;

    @Option(names = "--out", paramLabel = "DIR", description = "export directory (default: RUN_DIR/replay/iter-N)")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        Path conf = runDir.resolve("run.conf");
        if (!Files.isRegularFile(conf)) {
            throw new IllegalArgumentException(runDir + ": no run.conf, so this is not a run directory");
        }
        if (out != null && (Files.isRegularFile(out.resolve("run.conf"))
                || Files.exists(out.resolve("journal.jsonl")))) {
            // its model files would sit beside the run's own, and `eval --model DIR` would take them for the run's
            throw new IllegalArgumentException("--out " + out + " is a run directory; give a directory of its own "
                    + "(default: RUN_DIR/replay/iter-N)");
        }
        RunConfig config = RunConfigLoader.load(conf, ConfigFactory.empty());
        long target = iteration != null ? iteration : UpdateJournal.read(runDir.resolve("journal.jsonl")).size();
        EsModel model = RunDirectory.baseModel(config);
        String configHash = EsRun.configHash(model.replica(), config.identity());
        JournalReplay.Result result = JournalReplay.replay(model.replica(), configHash, runDir, target, fromBase,
                note -> stdout.println("note: " + note));
        Path exported = out != null ? out : runDir.resolve("replay").resolve(String.format("iter-%08d", target));
        HfExport.write(exported, BaseModel.dir(config), model.replica().master(),
                DType.parseWorking(config.model().dtype()));
        stdout.printf("replayed updates %d..%d of %s (%s)%n", result.from(), result.iteration(), runDir,
                result.from() == 0 ? "from the base weights" : "from checkpoint iteration " + result.from());
        stdout.printf("master sha256 %s%n", result.masterHash());
        result.checked().ifPresent(dir -> stdout.printf("identical to checkpoint %s%n", dir));
        stdout.printf("model  %s%n", exported);
        return 0;
    }
}
