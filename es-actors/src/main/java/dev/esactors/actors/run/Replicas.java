package dev.esactors.actors.run;

import dev.esactors.actors.config.RunConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;

import java.nio.file.Path;

/** Builds a run's model replica: the base model loaded in fp32 (the master) with a working copy. */
public final class Replicas {

    private Replicas() {
    }

    /** The model directory of the run (the embedded model when none is configured). */
    public static Path modelDir(RunConfig config) {
        return config.model().path() != null ? config.model().path() : EmbeddedModel.directory();
    }

    /** A fresh replica at the base weights, on {@code device}. */
    public static EsModel create(RunConfig config, DeviceSpec device) {
        return EsModel.create(config.es(), ModelLoader.load(modelDir(config), device, DType.F32),
                DType.parseWorking(config.model().dtype()));
    }
}
