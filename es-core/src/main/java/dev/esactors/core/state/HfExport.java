package dev.esactors.core.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.io.SafetensorsWriter;
import dev.esactors.core.io.WeightFiles;
import dev.esactors.core.torch.DType;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Writes a fine-tuned model as a Hugging Face directory that transformers and vLLM load: the base model's
 * config (with {@code torch_dtype} set to the export dtype) and tokenizer files, and the weights in one
 * {@code model.safetensors} under their Hugging Face names.
 */
public final class HfExport {

    /** Tokenizer and generation files copied from the base model when present. */
    private static final List<String> COPIED = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt", "tokenizer.model",
            "LICENSE", "PROVENANCE.md");

    private HfExport() {
    }

    /** Exports {@code weights} (fp32 master or working tensors, by HF name) in {@code dtype} to {@code out}. */
    public static void write(Path out, Path baseModel, Map<String, Tensor> weights, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("export dtype must be F32, BF16 or F16, got " + dtype);
        }
        try {
            Files.createDirectories(out);
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(baseModel.resolve("config.json").toFile());
            config.put("torch_dtype", switch (dtype) {
                case BF16 -> "bfloat16";
                case F16 -> "float16";
                default -> "float32";
            });
            AtomicFiles.write(out.resolve("config.json"),
                    json.writerWithDefaultPrettyPrinter().writeValueAsString(config).getBytes(StandardCharsets.UTF_8));
            for (String name : COPIED) {
                Path source = baseModel.resolve(name);
                if (Files.isRegularFile(source)) {
                    Files.copy(source, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            // Each tensor is converted as it is written: no converted copy of the whole model is held.
            SafetensorsWriter.write(out.resolve(WeightFiles.SINGLE), weights, Map.of("format", "pt"), dtype);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export the model to " + out, e);
        }
    }
}
