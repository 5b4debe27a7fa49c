package dev.esactors.core.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** config.json parsing: the families we run, and clear errors naming the field for everything else. */
class ConfigJsonTest {

    @TempDir
    Path dir;

    private String error(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        return assertThrows(IllegalArgumentException.class, () -> ConfigJson.read(dir)).getMessage();
    }

    @Test
    void embeddedStoriesConfigIsALlamaWithGqaAndTiedEmbeddings() {
        ModelConfig c = ConfigJson.read(EmbeddedModel.directory());
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(8, c.numHeads());
        assertEquals(4, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals(List.of(2), c.eosTokenIds());
        assertEquals(1, c.bosTokenId());
        assertEquals(260_032, c.parameterCount());
    }

    @Test
    void writtenConfigsReadBackAsTheSameModel() throws IOException {
        ModelConfig llama = ConfigJson.read(EmbeddedModel.directory());
        ModelConfig qwen = new ModelConfig(Architecture.QWEN2, 1536, 8960, 28, 12, 2, 128, 151_936, 32_768, 1e-6,
                RopeConfig.plain(1_000_000), true, true, false, false, -1, List.of(151_643), -1, 0.02);
        for (ModelConfig config : List.of(llama, qwen)) {
            Path out = Files.createTempDirectory(dir, config.architecture().modelType());
            ConfigJson.write(config, out, "bfloat16");
            assertEquals(config, ConfigJson.read(out));
        }
    }

    @Test
    void configNestedTooDeeplyIsAnErrorNotAStackOverflow() throws IOException {
        String m = error("{\"model_type\": " + "[".repeat(100_000));
        assertTrue(m.contains("config.json") && m.contains("nested too deeply"), m);
    }

    @Test
    void sizesBeyondAnyModelAndTokenIdsBeyondIntAreRefusedAtOnce() throws IOException {
        String layers = error(TinyQwen2.CONFIG.replaceFirst("\"num_hidden_layers\": \\d+",
                "\"num_hidden_layers\": 1000000000"));
        assertTrue(layers.contains("field 'num_hidden_layers' is 1000000000; it must lie in [1, 1024]"), layers);
        String eos = error(TinyQwen2.CONFIG.replaceFirst("\"eos_token_id\": [^,}]+",
                "\"eos_token_id\": 1000000000000"));
        assertTrue(eos.contains("field 'eos_token_id' must be a token id"), eos);
    }

    @Test
    void unsupportedModelTypeNamesTheField() throws IOException {
        String m = error(TinyQwen2.CONFIG.replace("\"qwen2\"", "\"gpt2\""));
        assertTrue(m.contains("config.json"), m);
        assertTrue(m.contains("field 'model_type'") && m.contains("'gpt2'") && m.contains("llama, qwen2"), m);
    }

    @Test
    void missingOrMistypedFieldsAreNamed() throws IOException {
        assertTrue(error(TinyQwen2.CONFIG.replace("\"hidden_size\": 32,", "")).contains("field 'hidden_size' is missing"));
        assertTrue(error(TinyQwen2.CONFIG.replace("\"vocab_size\": 61", "\"vocab_size\": \"many\""))
                .contains("field 'vocab_size'"));
        assertTrue(error(TinyQwen2.CONFIG.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"))
                .contains("must be a multiple of num_key_value_heads"));
        assertTrue(error(TinyQwen2.CONFIG.replace("\"silu\"", "\"gelu\"")).contains("field 'hidden_act'"));
        assertTrue(error(TinyQwen2.CONFIG.replace("\"eos_token_id\": 2", "\"eos_token_id\": 999"))
                .contains("eos_token_id 999 is outside the vocabulary"));
        assertTrue(error("{ not json").contains("not valid JSON"));
    }

    @Test
    void generationConfigAddsEosIdsAndLlama3RopeScalingParses() throws IOException {
        Files.writeString(dir.resolve("config.json"), TinyQwen2.CONFIG.replace("\"qwen2\"", "\"llama\"")
                .replace("\"rope_theta\": 1000000.0,", "\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": "
                        + "\"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
                        + "\"original_max_position_embeddings\": 8192},"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7]}");
        ModelConfig c = ConfigJson.read(dir);
        assertEquals(List.of(2, 7), c.eosTokenIds());
        assertTrue(c.rope().scaled());
        assertFalse(c.qkvBias(), "llama has no q/k/v bias unless attention_bias is set");
        float[] inv = c.rope().inverseFrequencies(8);
        assertEquals(1.0f, inv[0]); // the highest frequency is left alone
        double plainLowest = 1 / Math.pow(500000.0, 6.0 / 8);
        assertEquals(plainLowest / 8, inv[3], 1e-12); // the longest wavelength is divided by the factor
    }
}
