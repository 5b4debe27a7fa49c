package dev.esactors.actors.run;

import dev.esactors.actors.config.RunConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.torch.DeviceSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.function.Consumer;

/** Opens a run's durable state for its coordinator: the run directory, its saved config, and the resumed EsRun. */
public final class RunState {

    private RunState() {
    }

    /** Creates or resumes the run in {@code config.dir()}; resume messages go to {@code notes}. */
    public static EsRun open(RunConfig config, Consumer<String> notes) {
        try {
            Files.createDirectories(config.dir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + config.dir(), e);
        }
        AtomicFiles.write(config.dir().resolve("run.conf"), config.hocon().getBytes(StandardCharsets.UTF_8));
        EsModel model = Replicas.create(config, coordinatorDevice(config));
        return new EsRun(model.replica(), config.dir(), config.identity(), config.checkpointEvery(),
                config.checkpointKeep(), notes);
    }

    /** The coordinator applies updates on the run's device type, so its noise matches the evaluators'. */
    static DeviceSpec coordinatorDevice(RunConfig config) {
        return config.model().device().equals("cuda") ? DeviceSpec.parse("cuda:0") : DeviceSpec.CPU;
    }
}
