package dev.esactors.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.JsonFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Reads a Hugging Face {@code config.json} (and {@code generation_config.json}) into a {@link ModelConfig}. */
public final class ConfigJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {
    }

    /** Parses {@code dir/config.json}, merging EOS ids from {@code dir/generation_config.json} when present. */
    public static ModelConfig read(Path dir) {
        Path configFile = dir.resolve("config.json");
        ModelConfig config = parse(configFile, readTree(configFile));
        Path generationFile = dir.resolve("generation_config.json");
        if (!Files.isRegularFile(generationFile)) {
            return config;
        }
        JsonNode generation = readTree(generationFile);
        Set<Integer> eos = new LinkedHashSet<>(config.eosTokenIds());
        eos.addAll(ids(generationFile, generation, "eos_token_id"));
        return withEos(config, List.copyOf(eos));
    }

    /**
     * Writes {@code config} as {@code dir/config.json}, as Hugging Face writes one (what {@link #read} gives back):
     * for random models written to disk, such as the benchmark's reference models.
     */
    public static void write(ModelConfig config, Path dir, String torchDtype) {
        ObjectNode root = JSON.createObjectNode();
        boolean qwen = config.architecture() == Architecture.QWEN2;
        if (!qwen && config.qkvBias() != config.outputBias()) {
            throw new IllegalArgumentException("a Llama config.json has one attention_bias for q/k/v and o");
        }
        root.putArray("architectures").add(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        root.put("model_type", config.architecture().modelType());
        root.put("hidden_size", config.hiddenSize());
        root.put("intermediate_size", config.intermediateSize());
        root.put("num_hidden_layers", config.numLayers());
        root.put("num_attention_heads", config.numHeads());
        root.put("num_key_value_heads", config.numKvHeads());
        root.put("head_dim", config.headDim());
        root.put("vocab_size", config.vocabSize());
        root.put("max_position_embeddings", config.maxPositions());
        root.put("rms_norm_eps", config.rmsNormEps());
        if (config.rope().scaled()) {
            throw new IllegalArgumentException("writing llama3 rope scaling is not supported");
        }
        root.put("rope_theta", config.rope().theta());
        root.put("hidden_act", "silu");
        root.put("tie_word_embeddings", config.tieWordEmbeddings());
        if (!qwen) {
            root.put("attention_bias", config.qkvBias());
            root.put("mlp_bias", config.mlpBias());
        }
        if (config.bosTokenId() >= 0) {
            root.put("bos_token_id", config.bosTokenId());
        }
        var eos = root.putArray("eos_token_id");
        config.eosTokenIds().forEach(eos::add);
        if (config.padTokenId() >= 0) {
            root.put("pad_token_id", config.padTokenId());
        }
        root.put("initializer_range", config.initializerRange());
        root.put("torch_dtype", torchDtype);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + dir.resolve("config.json"), e);
        }
    }

    /** Parses the JSON of a {@code config.json}; {@code file} names it in errors. */
    public static ModelConfig parse(Path file, JsonNode root) {
        if (root == null || !root.isObject()) {
            throw error(file, "the file must hold a JSON object");
        }
        String modelType = string(file, root, "model_type");
        Architecture architecture;
        try {
            architecture = Architecture.fromModelType(modelType);
        } catch (IllegalArgumentException e) {
            throw error(file, "field 'model_type': " + e.getMessage());
        }
        String act = root.has("hidden_act") ? string(file, root, "hidden_act") : "silu";
        if (!act.equals("silu")) {
            throw error(file, "field 'hidden_act' is '" + act + "'; only 'silu' (SwiGLU) is supported");
        }
        if (root.path("use_sliding_window").asBoolean(false)) {
            throw error(file, "field 'use_sliding_window' is true; sliding-window attention is not supported");
        }
        // Bounds above any model this loader can hold: a hostile config.json is refused here, before a layout of
        // billions of entries is built (num_hidden_layers = 10^9 took 88 s and 5 GB, then ran out of memory).
        int hidden = bounded(file, root, "hidden_size", 1 << 16);
        int heads = bounded(file, root, "num_attention_heads", 1 << 10);
        bounded(file, root, "intermediate_size", 1 << 20);
        bounded(file, root, "num_hidden_layers", 1 << 10);
        bounded(file, root, "vocab_size", 1 << 22);
        int kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
                ? integer(file, root, "num_key_value_heads") : heads;
        int headDim = root.has("head_dim") && !root.get("head_dim").isNull()
                ? integer(file, root, "head_dim") : divide(file, hidden, heads);
        boolean attentionBias = root.path("attention_bias").asBoolean(false);
        boolean qwen = architecture == Architecture.QWEN2;
        try {
            return new ModelConfig(
                    architecture,
                    hidden,
                    integer(file, root, "intermediate_size"),
                    integer(file, root, "num_hidden_layers"),
                    heads,
                    kvHeads,
                    headDim,
                    integer(file, root, "vocab_size"),
                    root.has("max_position_embeddings") ? integer(file, root, "max_position_embeddings") : 2048,
                    root.has("rms_norm_eps") ? number(file, root, "rms_norm_eps") : 1e-6,
                    rope(file, root),
                    root.path("tie_word_embeddings").asBoolean(false),
                    qwen || attentionBias,
                    !qwen && attentionBias,
                    !qwen && root.path("mlp_bias").asBoolean(false),
                    root.hasNonNull("bos_token_id") ? integer(file, root, "bos_token_id") : -1,
                    ids(file, root, "eos_token_id"),
                    root.hasNonNull("pad_token_id") ? integer(file, root, "pad_token_id") : -1,
                    root.has("initializer_range") ? number(file, root, "initializer_range") : 0.02);
        } catch (IllegalArgumentException e) {
            throw error(file, e.getMessage());
        }
    }

    private static RopeConfig rope(Path file, JsonNode root) {
        double theta = root.has("rope_theta") ? number(file, root, "rope_theta") : 10000.0;
        JsonNode scaling = root.get("rope_scaling");
        if (scaling == null || scaling.isNull()) {
            return RopeConfig.plain(theta);
        }
        String type = scaling.hasNonNull("rope_type") ? scaling.get("rope_type").asText() : scaling.path("type").asText("");
        if (type.equals("default")) {
            return RopeConfig.plain(theta);
        }
        if (!type.equals("llama3")) {
            throw error(file, "field 'rope_scaling' has type '" + type + "'; supported: none, default, llama3");
        }
        return new RopeConfig(theta,
                number(file, scaling, "factor"),
                number(file, scaling, "low_freq_factor"),
                number(file, scaling, "high_freq_factor"),
                integer(file, scaling, "original_max_position_embeddings"));
    }

    private static ModelConfig withEos(ModelConfig c, List<Integer> eos) {
        return new ModelConfig(c.architecture(), c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(),
                c.numKvHeads(), c.headDim(), c.vocabSize(), c.maxPositions(), c.rmsNormEps(), c.rope(),
                c.tieWordEmbeddings(), c.qkvBias(), c.outputBias(), c.mlpBias(), c.bosTokenId(), eos,
                c.padTokenId(), c.initializerRange());
    }

    private static JsonNode readTree(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": file not found");
        }
        try {
            return JsonFiles.readTree(JSON, file);
        } catch (IOException e) {
            throw error(file, "not valid JSON: " + e.getMessage());
        }
    }

    private static List<Integer> ids(Path file, JsonNode root, String key) {
        JsonNode node = root.get(key);
        List<Integer> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            for (JsonNode n : node) {
                if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
                    throw error(file, "field '" + key + "' must hold token ids (integers >= 0), got " + n);
                }
                out.add(n.asInt());
            }
        } else if (node.isIntegralNumber() && node.canConvertToInt() && node.asInt() >= 0) {
            out.add(node.asInt());
        } else {
            throw error(file, "field '" + key + "' must be a token id or a list of token ids, got " + node);
        }
        return out;
    }

    private static int divide(Path file, int hidden, int heads) {
        if (heads <= 0 || hidden % heads != 0) {
            throw error(file, "hidden_size " + hidden + " is not divisible by num_attention_heads " + heads
                    + " and no head_dim is given");
        }
        return hidden / heads;
    }

    private static String string(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isTextual()) {
            throw error(file, "field '" + key + "' is missing or not a string");
        }
        return n.asText();
    }

    /** A required integer field in [1, max]. */
    private static int bounded(Path file, JsonNode root, String key, int max) {
        int value = integer(file, root, key);
        if (value < 1 || value > max) {
            throw error(file, "field '" + key + "' is " + value + "; it must lie in [1, " + max + "]");
        }
        return value;
    }

    private static int integer(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw error(file, "field '" + key + "' is missing or not an integer" + (n == null ? "" : ": " + n));
        }
        return n.asInt();
    }

    private static double number(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isNumber()) {
            throw error(file, "field '" + key + "' is missing or not a number" + (n == null ? "" : ": " + n));
        }
        return n.asDouble();
    }

    private static IllegalArgumentException error(Path file, String message) {
        return new IllegalArgumentException(file + ": " + message);
    }
}
