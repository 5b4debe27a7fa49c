package dev.esactors.train;

import dev.esactors.core.es.Checkpoint;
import dev.esactors.core.es.CheckpointStore;
import dev.esactors.core.es.EsReplica;
import dev.esactors.core.es.HfExport;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.io.Sha256;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.model.TokenLogProbs;
import dev.esactors.core.rl.AdamW;
import dev.esactors.core.rl.GroupAdvantages;
import dev.esactors.core.rl.GrpoLoss;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.TensorData;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.GrpoSettings;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A GRPO run in this process, the RL side of the comparison: every step samples {@code grpo.group-size}
 * completions of each of {@code grpo.prompts} prompts (the same windows over the task's items as ES's batches),
 * scores them with the task's reward, and takes {@code grpo.passes} AdamW steps on the GRPO loss through LibTorch
 * autograd ({@link TokenLogProbs}, {@link GrpoLoss}). The model trains in fp32. Checkpoints (every checkpoint.every
 * steps) hold the weights and AdamW's moments. It ends like an ES run: the base-vs-final table on eval.datasets,
 * export/ and the report. One process only: its gradients would have to be all-reduced across nodes, where ES sends
 * seeds and scalars.
 */
public final class GrpoRun {

    /**
     * What one step did.
     *
     * @param rewards   the sampled completions' rewards, prompt by prompt, G each
     * @param tokens    tokens generated
     * @param loss      the loss of the last pass
     * @param gradNorm  the gradient's global norm before clipping, last pass (LibTorch's clip_grad_norm_)
     * @param seconds   wall time
     */
    public record Step(double[] rewards, long tokens, double loss, double gradNorm, double seconds) {
    }

    private final RunConfig config;
    private final GrpoSettings settings;
    private final Decoder policy;
    private final Decoder reference; // null when kl-beta is 0
    private final List<String> names;
    private final List<Tensor> parameters;
    private final AdamW optimizer;
    private final TaskPrompts prompts;
    private final GrpoLoss loss;
    private final int eos;

    /** A policy at the base weights of {@code config}'s model, with its optimizer. */
    public GrpoRun(RunConfig config) {
        this.config = config;
        this.settings = config.grpo();
        this.policy = ModelLoader.load(BaseModel.dir(config), BaseModel.coordinatorDevice(config), DType.F32);
        this.reference = settings.klBeta() > 0
                ? ModelLoader.load(BaseModel.dir(config), BaseModel.coordinatorDevice(config), DType.F32) : null;
        this.names = List.copyOf(policy.parameters().keySet());
        this.parameters = List.copyOf(policy.parameters().values());
        parameters.forEach(p -> p.requires_grad_(true));
        this.optimizer = new AdamW(parameters, settings.learningRate(), settings.beta1(), settings.beta2(),
                settings.adamEpsilon(), settings.weightDecay());
        this.prompts = new TaskPrompts(config, BaseModel.dir(config));
        this.loss = settings.loss();
        this.eos = policy.config().eosTokenIds().isEmpty() ? -1 : policy.config().eosTokenIds().get(0);
    }

    /**
     * Runs {@code config} to its last step, reporting to {@code events}; returns the final event. A run directory
     * that holds checkpoints of this run resumes from the newest intact one: the steps after it are recomputed,
     * which gives the same weights, since sampling is seeded per step.
     */
    public static RunEvent run(RunConfig config, Consumer<RunEvent> events) {
        try {
            Files.createDirectories(config.dir());
            GrpoRun run = new GrpoRun(config);
            GrpoHistory history = new GrpoHistory(config.dir().resolve(GrpoHistory.FILE));
            long start = run.resume(history, message -> events.accept(new RunEvent.Note(message)));
            // Only once the checkpoints accepted this config: a refused resume leaves the saved run file as it was.
            AtomicFiles.write(config.dir().resolve("run.conf"), config.hocon().getBytes(StandardCharsets.UTF_8));
            List<Evaluation.Summary> base = config.evalDatasets().isEmpty() ? List.of()
                    : FinalEvaluation.baseLocally(config);
            for (long t = start; t < config.iterations(); t++) {
                Step step = run.step(t);
                history.append(t, step.rewards());
                events.accept(RunEvent.IterationDone.of(t, config.iterations(), step.rewards(), step.seconds(), 0,
                        0, 0));
                boolean due = config.checkpointEvery() > 0 && (t + 1) % config.checkpointEvery() == 0;
                if (due || t + 1 == config.iterations()) { // and always the last step's
                    run.checkpoint(t + 1);
                }
            }
            return run.finish(base, history.rewards(), events);
        } catch (IOException e) {
            return failed(events, "cannot write the run directory " + config.dir() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            return failed(events, "the GRPO run failed: " + e);
        }
    }

    /** One step: sample, score, and take the configured passes of AdamW on the GRPO loss. */
    public Step step(long t) {
        long start = System.nanoTime();
        List<int[]> rows = new ArrayList<>();
        List<Integer> items = new ArrayList<>();
        for (int index : prompts.batch(t, settings.prompts())) {
            for (int g = 0; g < settings.groupSize(); g++) {
                rows.add(prompts.prompt(index));
                items.add(index);
            }
        }
        List<int[]> completions = new ArrayList<>();
        double[] rewards = new double[rows.size()];
        long tokens = 0;
        try (NoGradGuard noGrad = new NoGradGuard()) {
            SamplingConfig sampling = new SamplingConfig(settings.temperature(), settings.topP(), samplingSeed(t));
            List<Completion> sampled = new BatchGenerator(policy).generate(rows, config.task().maxNewTokens(),
                    Set.copyOf(policy.config().eosTokenIds()), sampling);
            for (int i = 0; i < sampled.size(); i++) {
                Completion c = sampled.get(i);
                rewards[i] = prompts.reward(items.get(i), c.tokens());
                tokens += c.tokens().length;
                completions.add(trained(c));
            }
        }
        Tensor advantages = doubles(GroupAdvantages.of(rewards, settings.groupSize(), settings.scaling()));
        Tensor old = null;
        Tensor ref = null;
        try (NoGradGuard noGrad = new NoGradGuard()) {
            if (settings.passes() > 1) {
                old = TokenLogProbs.of(policy, rows, completions).logProbs();
            }
            if (reference != null) {
                ref = TokenLogProbs.of(reference, rows, completions).logProbs();
            }
        }
        double lastLoss = Double.NaN;
        double norm = Double.NaN;
        for (int pass = 0; pass < settings.passes(); pass++) {
            optimizer.zeroGrad();
            TokenLogProbs.Batch batch = TokenLogProbs.of(policy, rows, completions);
            Tensor before = old != null ? old : batch.logProbs().detach();
            Tensor value = loss.loss(batch.logProbs(), before, ref, batch.mask(), advantages);
            value.backward();
            // LibTorch returns the norm before clipping; an infinite bound leaves the gradients as they are.
            norm = torch.clip_grad_norm_(vector(), settings.gradClip() > 0 ? settings.gradClip()
                    : Double.POSITIVE_INFINITY);
            optimizer.update();
            lastLoss = value.item_double();
        }
        return new Step(rewards, tokens, lastLoss, norm, (System.nanoTime() - start) / 1e9);
    }

    /** The tokens a completion is trained on: its generated tokens, and the end-of-sequence token it chose. */
    private int[] trained(Completion c) {
        if (!c.stoppedAtEos() || eos < 0) {
            return c.tokens();
        }
        int[] out = Arrays.copyOf(c.tokens(), c.tokens().length + 1);
        out[out.length - 1] = eos;
        return out;
    }

    /** SHA-256 of the policy's weights, as ES hashes its master. */
    public String weightsHash() {
        return EsReplica.hash(names, parameters);
    }

    /** What a checkpoint of this run must have been written with: the settings, the task, the model, the seed. */
    private String configHash() {
        return Sha256.of(config.es().hash() + "|" + config.identity());
    }

    private CheckpointStore checkpoints() {
        return new CheckpointStore(config.dir().resolve("checkpoints"), config.checkpointKeep());
    }

    /** The policy's weights by name, outside autograd. */
    private Map<String, Tensor> weights() {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            weights.put(names.get(i), parameters.get(i).detach());
        }
        return weights;
    }

    /** Writes the weights and AdamW's moments after {@code steps} steps. */
    private void checkpoint(long steps) {
        checkpoints().save(steps, configHash(), weights(), optimizer.state(names), optimizer.step(), weightsHash());
    }

    /**
     * Loads the newest intact checkpoint (and cuts the reward history back to it); returns the step to run next, 0
     * without one.
     */
    private long resume(GrpoHistory history, Consumer<String> notes) {
        Optional<Checkpoint> found = checkpoints().latest(Long.MAX_VALUE, configHash(), notes);
        long steps = found.map(Checkpoint::iteration).orElse(0L);
        found.ifPresent(c -> {
            try (NoGradGuard noGrad = new NoGradGuard()) {
                for (int i = 0; i < names.size(); i++) {
                    Tensor saved = c.master().get(names.get(i));
                    if (saved == null) {
                        throw new IllegalStateException("checkpoint " + c.dir() + " lacks '" + names.get(i) + "'");
                    }
                    parameters.get(i).detach().copy_(saved);
                }
            }
            optimizer.load(names, c.optimizer(), c.optimizerStep());
            notes.accept("resumed from checkpoint " + c.dir() + " (step " + c.iteration() + ")");
        });
        history.keep(steps);
        return steps;
    }

    private RunEvent finish(List<Evaluation.Summary> base, List<double[]> history, Consumer<RunEvent> events) {
        Map<String, Tensor> weights = weights();
        List<FinalEvaluation.Row> table = new ArrayList<>();
        if (!base.isEmpty()) {
            List<Evaluation.Summary> tuned = FinalEvaluation.locally(config, weights, "GRPO");
            for (int d = 0; d < tuned.size(); d++) {
                table.add(new FinalEvaluation.Row(config.evalDatasets().get(d), base.get(d), tuned.get(d)));
            }
        }
        Path exported = config.dir().resolve("export");
        HfExport.write(exported, BaseModel.dir(config), weights, DType.F32);
        Path report = RunReport.write(config, history, describe(settings), table, List.of(), config.dir());
        RunEvent.RunFinished finished = new RunEvent.RunFinished(history.size(), weightsHash(), config.dir(),
                exported, report, table);
        prompts.close();
        events.accept(finished);
        return finished;
    }

    private TensorVector vector() { // the parameters, for LibTorch's gradient clipping
        TensorVector v = new TensorVector();
        parameters.forEach(v::push_back);
        return v;
    }

    /** A seed per step from the run seed: the same run samples the same completions. */
    private long samplingSeed(long t) {
        return new SplittableRandom(config.es().runSeed() * 0x9E3779B97F4A7C15L + t).nextLong();
    }

    private static Tensor doubles(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = (float) values[i];
        }
        return TensorData.floats(f, values.length);
    }

    private static String describe(GrpoSettings s) {
        return String.format(Locale.ROOT, "GRPO: %d prompts x %d completions per step, temperature %s, learning rate "
                + "%s, kl-beta %s, %s advantages, %s", s.prompts(), s.groupSize(), s.temperature(), s.learningRate(),
                s.klBeta(), s.scaling().name().toLowerCase(Locale.ROOT),
                s.aggregation().name().toLowerCase(Locale.ROOT));
    }

    private static RunEvent failed(Consumer<RunEvent> events, String reason) {
        RunEvent.RunFailed failed = new RunEvent.RunFailed(reason);
        events.accept(failed);
        return failed;
    }
}
