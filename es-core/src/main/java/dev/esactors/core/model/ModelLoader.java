package dev.esactors.core.model;

import dev.esactors.core.io.SafetensorsFormatException;
import dev.esactors.core.io.SafetensorsWriter;
import dev.esactors.core.io.TensorEntry;
import dev.esactors.core.io.WeightFiles;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Torch;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds {@link Decoder}s from Hugging Face model directories or from a seeded random initialisation. */
public final class ModelLoader {

    private ModelLoader() {
    }

    /**
     * Loads {@code dir} (config.json plus model.safetensors or a sharded index) onto {@code device}, with
     * parameters cast to {@code working} (F32, BF16 or F16). Missing tensors, shapes that disagree with the
     * config and non-float tensors are errors naming the file and tensor.
     */
    public static Decoder load(Path dir, DeviceSpec device, DType working) {
        requireFloat(working);
        ModelConfig config = ConfigJson.read(dir);
        Device target = device.toTorch();
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        try (WeightFiles weights = WeightFiles.open(dir)) {
            for (ParameterLayout.Spec spec : ParameterLayout.of(config)) {
                if (!weights.contains(spec.name())) {
                    throw new SafetensorsFormatException(weights.source(), "missing tensor '" + spec.name()
                            + "' required by " + dir.resolve("config.json"));
                }
                TensorEntry entry = weights.entry(spec.name());
                if (!Arrays.equals(entry.shape(), spec.shape())) {
                    throw new SafetensorsFormatException(weights.source(), "tensor '" + spec.name() + "' has shape "
                            + Arrays.toString(entry.shape()) + " but config.json implies " + Arrays.toString(spec.shape()));
                }
                if (!entry.dtype().isFloatingPoint() || entry.dtype() == DType.F64) {
                    throw new SafetensorsFormatException(weights.source(), "tensor '" + spec.name() + "' has dtype "
                            + entry.dtype() + "; model weights must be F32, BF16 or F16");
                }
                Tensor loaded = weights.load(spec.name());
                // NaN or infinite weights decode to nothing; refused here rather than as a run that never learns.
                if (!torch.isfinite(loaded).all().item_bool()) {
                    throw new SafetensorsFormatException(weights.source(), "tensor '" + spec.name() + "' holds NaN "
                            + "or infinite values (a damaged or diverged model)");
                }
                parameters.put(spec.name(), loaded.to(target, working.scalarType()));
            }
        }
        return new Decoder(config, parameters);
    }

    /**
     * A decoder of shape {@code config} with weights drawn from LibTorch's CPU generator seeded with {@code seed}
     * (as transformers initialises: N(0, initializer_range) matrices, zero biases, unit norms), then moved to
     * {@code device} and {@code working}. Same config and seed give the same weights on every machine.
     */
    public static Decoder random(ModelConfig config, long seed, DeviceSpec device, DType working) {
        requireFloat(working);
        Torch.load();
        Device target = device.toTorch();
        Generator generator = torch.createCPUGenerator(seed);
        TensorOptions f32 = new TensorOptions(ScalarType.Float);
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        for (ParameterLayout.Spec spec : ParameterLayout.of(config)) {
            Tensor t;
            if (spec.isNorm()) {
                t = torch.ones(spec.shape(), f32);
            } else if (spec.isBias()) {
                t = torch.zeros(spec.shape(), f32);
            } else {
                t = torch.randn(spec.shape(), new GeneratorOptional(generator), f32).mul_(
                        new org.bytedeco.pytorch.Scalar(config.initializerRange()));
            }
            parameters.put(spec.name(), t.to(target, working.scalarType()));
        }
        return new Decoder(config, parameters);
    }

    /** Writes the decoder's parameters (in their working dtype) to a safetensors file with Hugging Face names. */
    public static void saveWeights(Decoder decoder, Path file) {
        Device cpu = new Device(torch.DeviceType.CPU);
        Map<String, Tensor> onCpu = new LinkedHashMap<>();
        decoder.parameters().forEach((name, t) -> onCpu.put(name, t.to(cpu, t.scalar_type())));
        SafetensorsWriter.write(file, onCpu, Map.of("format", "pt"));
    }

    private static void requireFloat(DType working) {
        if (working != DType.F32 && working != DType.BF16 && working != DType.F16) {
            throw new IllegalArgumentException("working dtype must be F32, BF16 or F16, got " + working);
        }
    }
}
