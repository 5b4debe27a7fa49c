package dev.esactors.core.model;

import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stories260K, loaded from its Hugging Face files, must decode exactly as llama2.c does. */
class Stories260KGoldenTest {

    private static Path dir;
    private static Decoder model;
    private static int[] golden;

    @BeforeAll
    static void load() throws IOException {
        dir = EmbeddedModel.directory();
        model = ModelLoader.load(dir, DeviceSpec.CPU, DType.F32);
        golden = goldenIds();
    }

    /** The 128 generated ids of llama2.c's greedy decode from BOS (the file lists BOS first). */
    static int[] goldenIds() throws IOException {
        try (InputStream in = Stories260KGoldenTest.class.getResourceAsStream("/golden/stories260K_greedy_128.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String idsLine = text.lines().filter(l -> l.startsWith("ids:")).findFirst().orElseThrow();
            int[] all = Arrays.stream(idsLine.substring(4).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            assertEquals(1, all[0], "golden file starts with BOS");
            return Arrays.copyOfRange(all, 1, all.length);
        }
    }

    /** The text of the golden decode, as llama2.c printed it (it spans the rest of the file). */
    static String goldenText() throws IOException {
        try (InputStream in = Stories260KGoldenTest.class.getResourceAsStream("/golden/stories260K_greedy_128.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.substring(text.indexOf("text: ") + "text: ".length()).stripTrailing();
        }
    }

    private static List<Completion> greedy(List<int[]> prompts, int maxNew) {
        // No EOS stop: llama2.c's reference run stops only at the token limit.
        return new BatchGenerator(model).generate(prompts, maxNew, Set.of(), SamplingConfig.GREEDY);
    }

    @Test
    void greedyDecodeFromBosReproducesLlama2cGoldenIds() {
        assertEquals(128, golden.length);
        Completion c = greedy(List.of(new int[] {1}), 128).get(0);
        assertArrayEquals(golden, c.tokens());
    }

    @Test
    void paddingInABatchChangesNoSequencesTokens() {
        HfTokenizer tokenizer = HfTokenizer.load(dir);
        List<int[]> prompts = new ArrayList<>();
        prompts.add(tokenizer.encode("Once upon a time, there was a big dog named Max who liked to run"));
        prompts.add(new int[] {1});
        prompts.add(tokenizer.encode("Lily went to the park"));
        prompts.add(tokenizer.encode("The sun"));
        List<Completion> batched = greedy(prompts, 128);
        assertArrayEquals(golden, batched.get(1).tokens(), "BOS-only sequence inside a padded batch");
        for (int i = 0; i < prompts.size(); i++) {
            Completion alone = greedy(List.of(prompts.get(i)), 128).get(0);
            assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "prompt " + i + " alone vs in the batch");
        }
        tokenizer.close();
    }

    @Test
    void aSharedPromptPrefixIsRunOnceAndChangesNoSequencesTokens() {
        HfTokenizer tokenizer = HfTokenizer.load(dir);
        String instruction = "Once upon a time, there was a little girl named Lily. ";
        List<int[]> prompts = new ArrayList<>();
        for (String rest : List.of("She", "She liked to play in the park with her dog", "One day, a big")) {
            prompts.add(tokenizer.encode(instruction + rest));
        }
        tokenizer.close();
        int shared = BatchGenerator.sharedPrefix(prompts, 1);
        // The batch does take the shared path (padding between the prefix and each prompt's rest) ...
        assertTrue(shared >= BatchGenerator.MIN_SHARED_PREFIX, "shared prefix of " + shared + " tokens");
        assertEquals(0, BatchGenerator.sharedPrefix(prompts, 3), "one row per group: nothing to share");
        assertEquals(0, BatchGenerator.sharedPrefix(List.of(prompts.get(0)), 1), "a single prompt shares nothing");
        // ... and every sequence decodes as it does alone (where its whole prompt is prefilled row by row).
        List<Completion> batched = greedy(prompts, 96);
        for (int i = 0; i < prompts.size(); i++) {
            Completion alone = greedy(List.of(prompts.get(i)), 96).get(0);
            assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "prompt " + i + " alone vs in the batch");
        }
    }

    @Test
    void repeatedPromptsArePrefilledOnceAndChangeNoSequencesTokens() {
        HfTokenizer tokenizer = HfTokenizer.load(dir);
        String instruction = "Once upon a time, there was a little girl named Lily. ";
        int[] a = tokenizer.encode(instruction + "She");
        int[] b = tokenizer.encode(instruction + "One day, a big");
        tokenizer.close();
        // a GRPO step's rows: each prompt G times (here with a shared instruction as well, and out of order)
        List<int[]> rows = List.of(a, a, b, a.clone(), b, a);
        BatchGenerator once = new BatchGenerator(model);
        BatchGenerator everyRow = new BatchGenerator(model, false); // each row prefilled on its own
        List<Completion> greedyOnce = once.generate(rows, 48, Set.of(), SamplingConfig.GREEDY);
        List<Completion> greedyEvery = everyRow.generate(rows, 48, Set.of(), SamplingConfig.GREEDY);
        SamplingConfig sampled = new SamplingConfig(1.0, 1.0, 77);
        List<Completion> sampledOnce = once.generate(rows, 48, Set.of(), sampled);
        List<Completion> sampledEvery = everyRow.generate(rows, 48, Set.of(), sampled);
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(greedyEvery.get(i).tokens(), greedyOnce.get(i).tokens(), "greedy row " + i);
            assertArrayEquals(sampledEvery.get(i).tokens(), sampledOnce.get(i).tokens(), "sampled row " + i);
        }
        // the copies are the rows' own: sampled rows of one prompt go their own ways
        assertTrue(sampledOnce.stream().map(c -> Arrays.toString(c.tokens())).distinct().count() > 2,
                "sampled rows of the same prompt differ");
    }

    @Test
    void tokenizerRoundTripsAndPrependsBos() throws IOException {
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            int[] ids = tokenizer.encode("Once upon a time");
            assertEquals(1, ids[0]);
            assertEquals("Once upon a time", tokenizer.decode(ids));
            assertEquals(goldenText(), tokenizer.decode(golden));
        }
    }
}
