package dev.esactors.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.io.SafetensorsFormatException;
import dev.esactors.core.io.SafetensorsWriter;
import dev.esactors.core.io.TensorEntry;
import dev.esactors.core.io.WeightFiles;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Scopes;
import dev.esactors.core.torch.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

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
        Device target = device.toTorch();
        Map<String, Tensor> parameters = read(dir, (name, loaded) -> loaded.to(target, working.scalarType()));
        return new Decoder(ConfigJson.read(dir), parameters);
    }

    /**
     * Reads {@code dir}'s weights one tensor at a time in layout order, checked as {@link #load} says: each, as the
     * file holds it (on the CPU, in the file's dtype), goes to {@code keep}, and what keep returns is kept by name.
     * Nothing else outlives its tensor, so the peak memory is what keep keeps plus one tensor.
     */
    public static Map<String, Tensor> read(Path dir, BiFunction<String, Tensor, Tensor> keep) {
        ModelConfig config = ConfigJson.read(dir);
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        try (WeightFiles weights = WeightFiles.open(dir)) {
            List<ParameterLayout.Spec> layout = ParameterLayout.of(config);
            // Every tensor's name, shape and dtype against the headers first: a mismatch is found before gigabytes
            // of weights have been read.
            for (ParameterLayout.Spec spec : layout) {
                check(dir, weights, spec);
            }
            for (ParameterLayout.Spec spec : layout) {
                // Each tensor's temporaries (the file's dtype, the finiteness mask) are freed before the next is
                // read: left to the garbage collector, they added the model's size again to the peak memory.
                try (PointerScope scope = new PointerScope()) {
                    Tensor loaded = weights.load(spec.name());
                    // NaN or infinite weights decode to nothing; refused here rather than as a run that never learns.
                    if (!torch.isfinite(loaded).all().item_bool()) {
                        throw new SafetensorsFormatException(weights.source(), "tensor '" + spec.name() + "' holds "
                                + "NaN or infinite values (a damaged or diverged model)");
                    }
                    parameters.put(spec.name(), Scopes.keep(scope, keep.apply(spec.name(), loaded)));
                }
            }
        }
        Torch.releaseFreedMemory(); // the file-dtype copies, freed one by one, would stay in the process
        return parameters;
    }

    /** {@code spec}'s tensor is in {@code weights} with its shape and a float dtype, or an error naming both. */
    private static void check(Path dir, WeightFiles weights, ParameterLayout.Spec spec) {
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
            try (PointerScope scope = new PointerScope()) { // the fp32 draw is freed once converted
                Tensor t;
                if (spec.isNorm()) {
                    t = torch.ones(spec.shape(), f32);
                } else if (spec.isBias()) {
                    t = torch.zeros(spec.shape(), f32);
                } else {
                    t = torch.randn(spec.shape(), new GeneratorOptional(generator), f32).mul_(
                            new org.bytedeco.pytorch.Scalar(config.initializerRange()));
                }
                parameters.put(spec.name(), Scopes.keep(scope, t.to(target, working.scalarType())));
            }
        }
        return new Decoder(config, parameters);
    }

    /** Writes the decoder's parameters (in their working dtype) to a safetensors file with Hugging Face names. */
    public static void saveWeights(Decoder decoder, Path file) {
        SafetensorsWriter.write(file, decoder.parameters(), Map.of("format", "pt"));
    }

    /**
     * Writes the decoder's parameters (in their working dtype) as Hugging Face writes a large model: shards of at
     * most {@code maxShardBytes} (model-00001-of-0000N.safetensors, ...; a tensor larger than that gets a shard of
     * its own) and {@code model.safetensors.index.json} mapping each tensor to its shard. Returns the shard count.
     */
    public static int saveSharded(Decoder decoder, Path dir, long maxShardBytes) {
        List<Map<String, Tensor>> shards = new ArrayList<>();
        long used = 0;
        for (Map.Entry<String, Tensor> e : decoder.parameters().entrySet()) {
            long bytes = e.getValue().nbytes();
            if (shards.isEmpty() || used + bytes > maxShardBytes) {
                shards.add(new LinkedHashMap<>());
                used = 0;
            }
            shards.get(shards.size() - 1).put(e.getKey(), e.getValue());
            used += bytes;
        }
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode metadata = index.putObject("metadata");
        ObjectNode map = index.putObject("weight_map");
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            for (Map.Entry<String, Tensor> e : shards.get(i).entrySet()) {
                map.put(e.getKey(), name);
                total += e.getValue().nbytes();
            }
            SafetensorsWriter.write(dir.resolve(name), shards.get(i), Map.of("format", "pt"));
        }
        metadata.put("total_size", total);
        AtomicFiles.write(dir.resolve(WeightFiles.INDEX), index.toPrettyString().getBytes(StandardCharsets.UTF_8));
        return shards.size();
    }

    private static void requireFloat(DType working) {
        if (working != DType.F32 && working != DType.BF16 && working != DType.F16) {
            throw new IllegalArgumentException("working dtype must be F32, BF16 or F16, got " + working);
        }
    }
}
