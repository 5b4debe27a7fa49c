package dev.esactors.train.base;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.TokenLogProbs;
import dev.esactors.core.rl.AdamW;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.rewards.ChatTemplate;
import dev.esactors.rewards.Task;
import dev.esactors.rewards.TaskItem;
import dev.esactors.rewards.catalog.Tasks;
import dev.esactors.train.config.EvalSampling;
import dev.esactors.train.eval.Evaluation;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Makes a base model from scratch, as the Countdown base models were made: a randomly initialised Llama trained with
 * teacher forcing on a task's generated problems and their demonstrations (the loss on the answer tokens and the
 * end-of-sequence token only), and stopped at the first greedy evaluation on the validation set whose accuracy
 * reaches the band, so that the model solves some problems but not most. One thread gives the same weights on
 * every run.
 */
public final class BaseModelTrainer {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One evaluation: the mean training loss since the previous one, and the validation accuracy. */
    public record Point(int step, double loss, double accuracy, double seconds) {
    }

    /** Where training stopped and why. */
    public record Result(Point stop, List<Point> points, boolean inBand, String outcome) {
    }

    private BaseModelTrainer() {
    }

    /** Trains a model as {@code s} says into {@code s.out()}, which must not exist or be empty. */
    public static Result train(BaseModelSettings s, Consumer<String> log) throws IOException {
        if (Files.exists(s.out()) && (!Files.isDirectory(s.out()) || hasEntries(s.out()))) {
            // a model directory written over (a shipped base model, say) would be lost
            throw new IllegalArgumentException("the output " + s.out() + " exists and is not an empty directory; "
                    + "give a new one (or remove it first)");
        }
        Task<TaskItem> task = Tasks.createForOwnItems(s.task(), s.options());
        List<TaskItem> items = task.builtIn();
        if (items.isEmpty()) {
            throw new IllegalArgumentException("task '" + s.task() + "' generates no training problems with these "
                    + "options (countdown: generate=N)");
        }
        List<TaskItem> validation = task.load(s.validation());
        boolean created = !Files.exists(s.out());
        Files.createDirectories(s.out());
        try {
            return trainInto(s, task, items, validation, log);
        } catch (IOException | RuntimeException e) {
            // nothing half-made is left behind: the directory was empty, and a retry must not find it taken
            discard(s.out(), created);
            throw e;
        }
    }

    private static Result trainInto(BaseModelSettings s, Task<TaskItem> task, List<TaskItem> items,
                                    List<TaskItem> validation, Consumer<String> log) throws IOException {
        CharTokenizer.write(s.out(), s.shape().maxPositions());
        List<int[]> prompts = new ArrayList<>();
        List<int[]> answers = new ArrayList<>();
        try (HfTokenizer tokenizer = HfTokenizer.load(s.out())) {
            for (TaskItem item : items) {
                String demonstration = task.demonstration(item);
                if (demonstration.isEmpty()) {
                    throw new IllegalArgumentException("task '" + s.task() + "' has no demonstration for item "
                            + item.id() + " (countdown: prompt=compact)");
                }
                int[] prompt = tokenizer.encode(ChatTemplate.RAW.render("", task, item));
                int[] answer = answerIds(tokenizer.encode(demonstration));
                if (prompt.length + answer.length > s.shape().maxPositions()) {
                    throw new IllegalArgumentException("item " + item.id() + " needs " + (prompt.length
                            + answer.length) + " positions, more than the shape's " + s.shape().maxPositions());
                }
                prompts.add(prompt);
                answers.add(answer);
            }
            Decoder model = ModelLoader.random(s.shape(), s.seed(), DeviceSpec.CPU, DType.F32);
            log.accept(String.format(Locale.ROOT, "%,d parameters; %,d training problems; validation %s (%d items)",
                    s.shape().parameterCount(), items.size(), s.validation(), validation.size()));
            Result result = loop(s, model, task, tokenizer, validation, prompts, answers, log);
            ConfigJson.write(s.shape(), s.out(), "float32");
            ModelLoader.saveWeights(model, s.out().resolve("model.safetensors"));
            writeSummary(s, result, items.size());
            return result;
        }
    }

    /** Removes what a failed run wrote into {@code out} (empty before it), and {@code out} when it made it. */
    private static void discard(Path out, boolean created) throws IOException {
        try (var entries = Files.list(out)) {
            for (Path f : entries.toList()) {
                Files.deleteIfExists(f);
            }
        }
        if (created) {
            Files.deleteIfExists(out);
        }
    }

    private static Result loop(BaseModelSettings s, Decoder model, Task<TaskItem> task, HfTokenizer tokenizer,
                               List<TaskItem> validation, List<int[]> prompts, List<int[]> answers,
                               Consumer<String> log) {
        List<Tensor> parameters = List.copyOf(model.parameters().values());
        parameters.forEach(p -> p.requires_grad_(true));
        AdamW optimizer = new AdamW(parameters, s.learningRate(), 0.9, 0.95, 1e-8, 0);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            order.add(i);
        }
        Random random = new Random(s.seed());
        Collections.shuffle(order, random);
        int next = 0;
        double lossSum = 0;
        int lossCount = 0;
        long start = System.nanoTime();
        List<Point> points = new ArrayList<>();
        Evaluation.Settings eval = new Evaluation.Settings(ChatTemplate.RAW, "", 100,
                task.answerTokens(validation.get(0)) + 1, new EvalSampling(0, 1, 1, 0));
        for (int step = 1; step <= s.maxSteps(); step++) {
            List<int[]> batchPrompts = new ArrayList<>();
            List<int[]> batchAnswers = new ArrayList<>();
            for (int b = 0; b < s.batch(); b++) {
                if (next == order.size()) { // a new epoch, in a new order
                    Collections.shuffle(order, random);
                    next = 0;
                }
                int i = order.get(next++);
                batchPrompts.add(prompts.get(i));
                batchAnswers.add(answers.get(i));
            }
            try (PointerScope scope = new PointerScope()) {
                optimizer.zeroGrad();
                TokenLogProbs.Batch batch = TokenLogProbs.of(model, batchPrompts, batchAnswers);
                Tensor loss = batch.logProbs().sum().neg().div(batch.mask().sum()); // mean over answer tokens
                loss.backward();
                optimizer.clipGradNorm(s.gradClip());
                double value = loss.item_double();
                if (!Double.isFinite(value)) {
                    throw new IllegalStateException("training diverged at step " + step + " (loss " + value
                            + "); lower the learning rate");
                }
                optimizer.update(s.learningRate() * Math.min(1.0, step / (double) Math.max(1, s.warmup())));
                lossSum += value;
                lossCount++;
            }
            if (step % s.evalEvery() == 0 || step == s.maxSteps()) {
                double accuracy;
                try (NoGradGuard noGrad = new NoGradGuard()) {
                    accuracy = Evaluation.run("base", model, tokenizer, task, validation, eval, r -> { })
                            .accuracy();
                }
                Point point = new Point(step, lossSum / lossCount, accuracy, (System.nanoTime() - start) / 1e9);
                points.add(point);
                lossSum = 0;
                lossCount = 0;
                log.accept(String.format(Locale.ROOT, "step %5d  loss %.4f  validation %5.1f%%  %6.0f s", step,
                        point.loss(), 100 * accuracy, point.seconds()));
                if (accuracy >= s.bandLow()) {
                    boolean inBand = accuracy <= s.bandHigh();
                    return new Result(point, points, inBand, inBand ? "stopped in the band"
                            : "overshot the band: evaluate more often (--eval-every) or lower the learning rate");
                }
            }
        }
        return new Result(points.get(points.size() - 1), points, false, "never reached the band in "
                + s.maxSteps() + " steps");
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        }
    }

    /** A demonstration's ids as the model is taught them: without the tokenizer's BOS, ended by EOS. */
    private static int[] answerIds(int[] encoded) {
        int from = encoded.length > 0 && encoded[0] == CharTokenizer.BOS ? 1 : 0;
        int[] ids = Arrays.copyOfRange(encoded, from, encoded.length + 1);
        ids[ids.length - 1] = CharTokenizer.EOS;
        return ids;
    }

    private static void writeSummary(BaseModelSettings s, Result result, int problems) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("task", s.task());
        s.options().forEach(root.putObject("options")::put);
        root.put("parameters", s.shape().parameterCount()).put("training_problems", problems)
                .put("seed", s.seed()).put("batch", s.batch()).put("learning_rate", s.learningRate())
                .put("warmup", s.warmup()).put("grad_clip", s.gradClip()).put("eval_every", s.evalEvery())
                .put("band_low", s.bandLow()).put("band_high", s.bandHigh())
                .put("validation", s.validation().toString()).put("outcome", result.outcome());
        ObjectNode stop = root.putObject("chosen");
        stop.put("step", result.stop().step()).put("loss", result.stop().loss())
                .put("validation_accuracy", result.stop().accuracy()).put("seconds", result.stop().seconds());
        var points = root.putArray("evaluations");
        for (Point p : result.points()) {
            points.addObject().put("step", p.step()).put("loss", p.loss()).put("validation_accuracy", p.accuracy())
                    .put("seconds", p.seconds());
        }
        AtomicFiles.write(s.out().resolve("train_summary.json"), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(root));
    }
}
