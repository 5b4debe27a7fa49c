package dev.esactors.actors.run;

import dev.esactors.actors.config.RunConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;

import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds a run's model replica: the base model loaded in fp32 (the master) with a working copy. */
public final class Replicas {

    private Replicas() {
    }

    /** The model directory of the run (the embedded model when none is configured). */
    public static Path modelDir(RunConfig config) {
        return config.model().path() != null ? config.model().path() : EmbeddedModel.directory();
    }

    /**
     * A decoder over a run's fp32 {@code master} in its working dtype, for evaluation: the master tensors
     * themselves when the working dtype is F32 (decoding never writes them), else cast copies.
     */
    public static Decoder decoderOver(RunConfig config, ModelConfig modelConfig, Map<String, Tensor> master) {
        DType working = DType.parseWorking(config.model().dtype());
        Map<String, Tensor> weights = new LinkedHashMap<>(master);
        if (working != DType.F32) {
            master.forEach((name, t) -> weights.put(name, t.to(working.scalarType())));
        }
        return new Decoder(modelConfig, weights);
    }

    /** A fresh replica at the base weights, on {@code device}. */
    public static EsModel create(RunConfig config, DeviceSpec device) {
        return EsModel.create(config.es(), ModelLoader.load(modelDir(config), device, DType.F32),
                DType.parseWorking(config.model().dtype()));
    }
}
