package dev.esactors.core.es;

import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ES fine-tunes a real language model: stories260K learns to say a target word more often in its greedy
 * completions of a fixed prompt set. Hyperparameters from a PyTorch run of the paper's loop on this model
 * (../shared/DESIGN.md): the paper's sigma=1e-3 is too small to change a 260K-parameter model's greedy tokens.
 */
class Stories260KFineTuneTest {

    static final String[] PROMPTS = {
        "Once upon a time", "One day", "Tom and Sue", "The little dog", "Lily had a", "The sun was",
        "Max wanted to", "In the park", "Mom said", "The bird", "Ben found a", "It was a big",
        "The girl saw", "They went to", "A cat named", "At night"};

    @TempDir
    Path dir;

    @Test
    void targetWordRewardRisesClearlyAboveTheBaseModel() {
        Path modelDir = EmbeddedModel.directory();
        List<int[]> prompts = new ArrayList<>();
        int target;
        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir)) {
            for (String p : PROMPTS) {
                prompts.add(tokenizer.encode(p));
            }
            int[] word = tokenizer.encode("happy");
            assertEquals(2, word.length, "'happy' is one token after BOS: " + Arrays.toString(word));
            target = word[1];
        }
        EsConfig config = EsConfig.paper(7).withPopulation(16, 0.03, 0.015);
        Decoder fp32 = ModelLoader.load(modelDir, DeviceSpec.CPU, DType.F32);
        EsModel model = EsModel.create(config, fp32, DType.F32);
        int targetId = target;
        CompletionFitness fitness = new CompletionFitness(model.decoder(), prompts, 32, Set.of(), (i, c) ->
                Arrays.stream(c.tokens()).filter(t -> t == targetId).count());
        double base = fitness.mean();
        List<Double> progress = new ArrayList<>();
        try (EsTrainer trainer = new EsTrainer(model.replica(), fitness, dir, "stories260K/happy", 0, 1, s -> { })) {
            for (int i = 0; i < 20; i++) {
                trainer.step();
                progress.add(fitness.mean());
            }
        }
        // The mean of the last three iterations, so one lucky or unlucky step decides nothing.
        double end = progress.subList(progress.size() - 3, progress.size()).stream()
                .mapToDouble(Double::doubleValue).average().orElseThrow();
        System.out.printf("target-word reward: base %.3f, after each iteration %s%n", base, progress);
        assertTrue(end > base + 0.4 && end > 4 * base, "reward went from " + base + " to " + end + ": " + progress);
    }
}
