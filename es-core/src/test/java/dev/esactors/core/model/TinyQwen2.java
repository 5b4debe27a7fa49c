package dev.esactors.core.model;

import dev.esactors.core.io.SafetensorsWriter;
import dev.esactors.core.io.WeightFiles;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A tiny random Qwen2-style model written to disk as a Hugging Face directory: q/k/v biases, GQA (4 query heads
 * over 2 KV heads), an untied lm_head, rope theta 1e6. Weights come from java.util.Random, so the test reference
 * can read them without going through the code under test.
 */
final class TinyQwen2 {

    static final String CONFIG = """
            {
              "architectures": ["Qwen2ForCausalLM"],
              "model_type": "qwen2",
              "hidden_size": 32,
              "intermediate_size": 48,
              "num_hidden_layers": 2,
              "num_attention_heads": 4,
              "num_key_value_heads": 2,
              "vocab_size": 61,
              "max_position_embeddings": 128,
              "rms_norm_eps": 1e-6,
              "rope_theta": 1000000.0,
              "hidden_act": "silu",
              "tie_word_embeddings": false,
              "bos_token_id": 1,
              "eos_token_id": 2,
              "torch_dtype": "float32"
            }
            """;

    final Path dir;
    final ModelConfig config;
    final Map<String, float[]> weights = new LinkedHashMap<>();

    private TinyQwen2(Path dir, ModelConfig config) {
        this.dir = dir;
        this.config = config;
    }

    /** Writes config.json and model.safetensors under {@code dir}, weights seeded by {@code seed}. */
    static TinyQwen2 write(Path dir, long seed) throws IOException {
        Files.writeString(dir.resolve("config.json"), CONFIG);
        TinyQwen2 model = new TinyQwen2(dir, ConfigJson.read(dir));
        Random random = new Random(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (ParameterLayout.Spec spec : ParameterLayout.of(model.config)) {
            long[] shape = spec.shape();
            int n = 1;
            for (long s : shape) {
                n *= (int) s;
            }
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                double g = random.nextGaussian();
                // Norm weights near 1, biases and matrices with enough spread that attention is not uniform.
                values[i] = (float) (spec.isNorm() ? 1 + 0.1 * g : spec.isBias() ? 0.2 * g : 0.25 * g);
            }
            model.weights.put(spec.name(), values);
            tensors.put(spec.name(), TensorData.floats(values, shape));
        }
        SafetensorsWriter.write(dir.resolve(WeightFiles.SINGLE), tensors, Map.of("format", "pt"));
        return model;
    }
}
