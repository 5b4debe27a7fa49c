package dev.esactors.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face model directory, by tensor name, whether they sit in one
 * {@code model.safetensors} or in shards listed by {@code model.safetensors.index.json}.
 */
public final class WeightFiles implements AutoCloseable {

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path source;
    private final Map<String, SafetensorsFile> fileByTensor;
    private final Map<String, SafetensorsFile> files;

    private WeightFiles(Path source, Map<String, SafetensorsFile> fileByTensor, Map<String, SafetensorsFile> files) {
        this.source = source;
        this.fileByTensor = Collections.unmodifiableMap(fileByTensor);
        this.files = files;
    }

    /** Opens the weights of {@code modelDir}: the index if there is one, else the single file. */
    public static WeightFiles open(Path modelDir) {
        Path index = modelDir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return openIndex(index);
        }
        Path single = modelDir.resolve(SINGLE);
        if (!Files.isRegularFile(single)) {
            throw new IllegalArgumentException(modelDir + ": no " + SINGLE + " and no " + INDEX
                    + " (only safetensors weights are supported; convert .bin/.pth checkpoints first)");
        }
        SafetensorsFile file = SafetensorsFile.open(single);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        file.tensors().keySet().forEach(name -> byTensor.put(name, file));
        return new WeightFiles(single, byTensor, Map.of(SINGLE, file));
    }

    private static WeightFiles openIndex(Path index) {
        JsonNode weightMap;
        try {
            JsonNode root = JsonFiles.readTree(new ObjectMapper(), index);
            weightMap = root == null ? null : root.get("weight_map");
        } catch (IOException e) {
            throw new SafetensorsFormatException(index, "cannot parse the index: " + e.getMessage(), e);
        }
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsFormatException(index, "missing object 'weight_map'");
        }
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String shard = e.getValue().asText();
                if (!e.getValue().isTextual() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                    throw new SafetensorsFormatException(index, "weight_map entry '" + e.getKey()
                            + "' must name a shard file in the same directory, got " + e.getValue());
                }
                if (!files.containsKey(shard) && !Files.isRegularFile(index.resolveSibling(shard))) {
                    throw new SafetensorsFormatException(index, "weight_map puts '" + e.getKey() + "' in " + shard
                            + ", which is not in " + index.getParent());
                }
                SafetensorsFile file = files.computeIfAbsent(shard, s -> SafetensorsFile.open(index.resolveSibling(s)));
                if (!file.tensors().containsKey(e.getKey())) {
                    throw new SafetensorsFormatException(index, "weight_map puts '" + e.getKey() + "' in " + shard
                            + ", which has no such tensor");
                }
                byTensor.put(e.getKey(), file);
            }
        } catch (RuntimeException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new WeightFiles(index, byTensor, files);
    }

    /** The single file or the index this was opened from. */
    public Path source() {
        return source;
    }

    public Set<String> names() {
        return fileByTensor.keySet();
    }

    public boolean contains(String name) {
        return fileByTensor.containsKey(name);
    }

    public TensorEntry entry(String name) {
        return file(name).entry(name);
    }

    /** Loads a tensor as a CPU tensor in the file's dtype. */
    public Tensor load(String name) {
        return file(name).load(name);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = fileByTensor.get(name);
        if (f == null) {
            throw new SafetensorsFormatException(source, "missing tensor '" + name + "'");
        }
        return f;
    }

    @Override
    public void close() {
        UncheckedIOException failure = null;
        for (SafetensorsFile f : files.values()) {
            try {
                f.close();
            } catch (UncheckedIOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
