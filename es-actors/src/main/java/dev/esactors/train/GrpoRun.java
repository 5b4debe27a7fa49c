package dev.esactors.train;

import dev.esactors.core.es.Checkpoint;
import dev.esactors.core.es.CheckpointStore;
import dev.esactors.core.es.EsReplica;
import dev.esactors.core.es.Update;
import dev.esactors.core.io.DirectoryLock;
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
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

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
     * @param trainedTokens the completion tokens the loss was backpropagated through, once per pass
     * @param loss      the loss of the last pass
     * @param gradNorm  the gradient's global norm before clipping, last pass (LibTorch's clip_grad_norm_)
     * @param seconds   wall time
     */
    public record Step(double[] rewards, long tokens, long trainedTokens, double loss, double gradNorm,
                       double seconds) {
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
        try (DirectoryLock lock = DirectoryLock.acquire(config.dir())) {
            GrpoRun run = new GrpoRun(config);
            StepLog rewards = new StepLog(config.dir().resolve(StepLog.GRPO_REWARDS));
            StepLog counts = new StepLog(config.dir().resolve(StepLog.COUNTS));
            long t = run.resume(message -> events.accept(new RunEvent.Note(message)));
            rewards.keep(t, true); // appended before each checkpoint: it holds every step up to one
            counts.keep(t, false);
            RunDirectory.saveRunFile(config); // only once the checkpoints accepted this config
            try (EvaluationSchedule schedule = new EvaluationSchedule(config, t)) {
                while (true) {
                    long end = counts.end(config, t);
                    EvalRound due = schedule.due(t, end);
                    if (due != null) {
                        run.score(due, schedule.data());
                        long at = t;
                        schedule.completed(due, t, dir -> run.checkpointTo(dir, at), run.policy.parameters())
                                .forEach(events);
                    } else if (t >= end) {
                        break;
                    } else {
                        Step step = run.step(t);
                        rewards.append(t, step.rewards());
                        counts.append(t, step.rewards().length, step.tokens(), step.trainedTokens());
                        events.accept(RunEvent.IterationDone.of(t, config.iterations(), step.rewards(),
                                step.seconds(), 0, 0, 0, false)); // GRPO steps are never skipped
                        t++;
                        if (config.checkpointEvery() > 0 && t % config.checkpointEvery() == 0
                                || t == counts.end(config, t)) { // and always the last step's
                            run.checkpointTo(run.checkpoints(), t);
                        }
                    }
                }
                return run.finish(schedule, rewards.steps(), t, events);
            }
        } catch (RuntimeException e) {
            return failed(events, "the GRPO run failed: " + (e.getMessage() != null ? e.getMessage() : e));
        }
    }

    /** Scores every chunk of an evaluation round with the policy as it stands, outside autograd. */
    private void score(EvalRound round, EvalDatasets data) {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            LocalRun.score(round, data, policy);
        }
    }

    /**
     * One step: sample, score, and take the configured passes of AdamW on the GRPO loss. Every tensor the step makes
     * is freed when it ends (a PointerScope): left to the garbage collector, their native memory piled up to twice
     * the process's resident size, unseen by a Java heap that had no reason to collect.
     */
    public Step step(long t) {
        try (PointerScope scope = new PointerScope()) {
            return stepTensors(t);
        }
    }

    private Step stepTensors(long t) {
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
        // The control (es.control = shuffled-rewards) learns from rewards permuted across the step's completions:
        // updates as large as a real run's, without the signal. The true rewards are what it reports.
        double[] learned = config.es().shuffledControl() ? Update.shuffled(rewards, ~samplingSeed(t)) : rewards;
        Tensor advantages = doubles(GroupAdvantages.of(learned, settings.groupSize(), settings.scaling()));
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
        long trainedTokens = (long) settings.passes() * completions.stream().mapToLong(c -> c.length).sum();
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
        return new Step(rewards, tokens, trainedTokens, lastLoss, norm, (System.nanoTime() - start) / 1e9);
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

    private Path checkpoints() {
        return config.dir().resolve("checkpoints");
    }

    /** The policy's weights by name, outside autograd. */
    private Map<String, Tensor> weights() {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            weights.put(names.get(i), parameters.get(i).detach());
        }
        return weights;
    }

    /** Writes the weights and AdamW's moments after {@code steps} steps into {@code root} (checkpoints/, best/). */
    private void checkpointTo(Path root, long steps) {
        int keep = root.equals(checkpoints()) ? config.checkpointKeep() : 1;
        new CheckpointStore(root, keep).save(steps, configHash(), weights(), optimizer.state(names), optimizer.step(),
                weightsHash());
    }

    /** Loads the newest intact checkpoint; returns the step to run next, 0 without one. */
    private long resume(Consumer<String> notes) {
        Optional<Checkpoint> found = new CheckpointStore(checkpoints(), config.checkpointKeep())
                .latest(Long.MAX_VALUE, configHash(), notes);
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
        return steps;
    }

    private RunEvent finish(EvaluationSchedule schedule, List<double[]> rewards, long steps,
                            Consumer<RunEvent> events) {
        RunEvent.RunFinished finished = RunCompletion.finish(config, new RunCompletion.Trained(weights(),
                weightsHash(), steps, configHash(), rewards, describe(config), DType.F32), schedule, events);
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

    private static String describe(RunConfig config) {
        GrpoSettings s = config.grpo();
        return String.format(Locale.ROOT, "GRPO: %d prompts x %d completions per step, temperature %s, learning rate "
                + "%s, kl-beta %s, %s advantages, %s%s", s.prompts(), s.groupSize(), s.temperature(), s.learningRate(),
                s.klBeta(), s.scaling().name().toLowerCase(Locale.ROOT),
                s.aggregation().name().toLowerCase(Locale.ROOT),
                config.es().shuffledControl() ? "; control: learns from shuffled rewards" : "");
    }

    private static RunEvent failed(Consumer<RunEvent> events, String reason) {
        RunEvent.RunFailed failed = new RunEvent.RunFailed(reason);
        events.accept(failed);
        return failed;
    }
}
