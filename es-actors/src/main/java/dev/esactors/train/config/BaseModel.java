package dev.esactors.train.config;

import dev.esactors.core.es.EsModel;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;

import java.nio.file.Path;

/** A run's base model: where it lives, and a replica of it (fp32 master with a working copy) on a device. */
public final class BaseModel {

    private BaseModel() {
    }

    /** The model directory of the run (the embedded model when none is configured). */
    public static Path dir(RunConfig config) {
        return config.model().path() != null ? config.model().path() : EmbeddedModel.directory();
    }

    /** A fresh replica at the base weights, on {@code device}. */
    public static EsModel load(RunConfig config, DeviceSpec device) {
        return EsModel.load(config.es(), dir(config), device, DType.parseWorking(config.model().dtype()),
                config.model().noiseCache(), config.model().master());
    }

    /** The coordinator applies updates on the run's device type, so its noise matches the evaluators'. */
    public static DeviceSpec coordinatorDevice(RunConfig config) {
        return config.model().device().equals("cuda") ? DeviceSpec.parse("cuda:0") : DeviceSpec.CPU;
    }
}
