package dev.esactors.train.base;

import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.state.WeightsHash;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny Countdown base model made twice from scratch: a loadable model directory, learning, the same bits. */
class BaseModelTrainerTest {

    private static final Path VALIDATION = Path.of("..", "data", "countdown", "validation_500.jsonl");

    @TempDir
    static Path root;

    private static BaseModelTrainer.Result first;
    private static final List<String> LOG = new ArrayList<>();

    private static BaseModelSettings settings(Path out, Path validation) {
        Map<String, String> options = Map.of("prompt", "compact", "generate", "2000", "exclude",
                VALIDATION.toString());
        return new BaseModelSettings("countdown", options, BaseModelSettings.llama(32, 1, 64), 7, 16, 3e-3, 5, 1.0,
                15, 30, 0.9, 1.0, validation, out);
    }

    @BeforeAll
    static void train() throws Exception {
        Path small = Files.writeString(root.resolve("validation.jsonl"), String.join("\n",
                Files.readAllLines(VALIDATION).subList(0, 40)) + "\n");
        first = BaseModelTrainer.train(settings(root.resolve("a"), small), LOG::add);
    }

    @Test
    void writesAModelDirectoryTheRestOfTheToolLoads() throws Exception {
        Path dir = root.resolve("a");
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "train_summary.json")) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), file);
        }
        Decoder model = ModelLoader.load(dir, DeviceSpec.CPU, DType.F32);
        assertEquals(CharTokenizer.vocabSize(), model.config().vocabSize());
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            int[] ids = tokenizer.encode("Reach 82 with 7 25 50\n(50+25)+7");
            assertEquals(CharTokenizer.BOS, ids[0]);
            assertEquals("Reach 82 with 7 25 50\n(50+25)+7".length() + 1, ids.length, "one token a character");
            assertEquals("Reach 82 with 7 25 50\n(50+25)+7", tokenizer.decode(ids));
        }
        String summary = Files.readString(dir.resolve("train_summary.json"));
        assertTrue(summary.contains("\"outcome\" : \"never reached the band in 30 steps\""), summary);
    }

    @Test
    void theLossFallsBetweenEvaluations() {
        assertEquals(2, first.points().size(), LOG.toString());
        assertFalse(first.inBand(), "a 30-step model does not solve 90% of the problems");
        assertTrue(first.points().get(1).loss() < first.points().get(0).loss(), LOG.toString());
        assertTrue(LOG.get(0).contains("2,000 training problems"), LOG.get(0));
    }

    @Test
    void theSameSettingsMakeTheSameWeights() throws Exception {
        Path small = root.resolve("validation.jsonl");
        BaseModelTrainer.train(settings(root.resolve("b"), small), line -> { });
        assertArrayEquals(Files.readAllBytes(root.resolve("a/model.safetensors")),
                Files.readAllBytes(root.resolve("b/model.safetensors")));
        Decoder a = ModelLoader.load(root.resolve("a"), DeviceSpec.CPU, DType.F32);
        assertEquals(WeightsHash.of(List.copyOf(a.parameters().keySet()), List.copyOf(a.parameters().values())),
                WeightsHash.of(List.copyOf(a.parameters().keySet()), List.copyOf(ModelLoader.load(root.resolve("b"),
                        DeviceSpec.CPU, DType.F32).parameters().values())));
    }

    @Test
    void anExistingModelIsNeverWrittenOver() throws Exception {
        byte[] before = Files.readAllBytes(root.resolve("a/model.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BaseModelTrainer.train(settings(root.resolve("a"), root.resolve("validation.jsonl")), l -> { }));
        assertTrue(e.getMessage().contains("exists and is not an empty directory"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(root.resolve("a/model.safetensors")));
    }

    @Test
    void aTaskWithoutDemonstrationsIsRefusedByName() {
        BaseModelSettings instruct = new BaseModelSettings("countdown", Map.of("generate", "10"),
                BaseModelSettings.llama(32, 1, 64), 7, 4, 1e-3, 0, 1.0, 5, 5, 0.5, 1.0, VALIDATION,
                root.resolve("c"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BaseModelTrainer.train(instruct, line -> { }));
        assertTrue(e.getMessage().contains("no demonstration for item train-1 (countdown: prompt=compact)"),
                e.getMessage());
        assertFalse(Files.exists(root.resolve("c")), "nothing half-made is left where a retry would be refused");
    }
}
