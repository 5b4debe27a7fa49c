package dev.esactors.cli.options;

import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Torch;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by commands that run a model: where it is, on which device, in which dtype, how many threads. */
public final class RuntimeOptions {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, model.safetensors, tokenizer.json); "
                    + "default: the embedded stories260K")
    public Path model;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    public String device;

    @Option(names = "--dtype", defaultValue = "f32", description = "working dtype: f32, bf16 or f16 (default: ${DEFAULT-VALUE})")
    public String dtype;

    @Option(names = "--threads", description = "LibTorch intra-op threads (default: all cores)")
    public Integer threads;

    /** The model directory: the one given, or the embedded model unpacked to the cache. */
    public Path modelDir() {
        return model != null ? model : EmbeddedModel.directory();
    }

    public DeviceSpec deviceSpec() {
        return DeviceSpec.parse(device);
    }

    public DType workingDType() {
        return DType.parseWorking(dtype);
    }

    /** Loads LibTorch, applies the thread count, and loads the model. */
    public Decoder loadModel() {
        applyThreads();
        return ModelLoader.load(modelDir(), deviceSpec(), workingDType());
    }

    public void applyThreads() {
        Torch.load();
        if (threads != null) {
            Torch.setThreads(threads);
        }
    }
}
