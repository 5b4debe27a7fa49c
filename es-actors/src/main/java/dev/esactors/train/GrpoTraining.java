package dev.esactors.train;

import dev.esactors.core.io.Sha256;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.rl.GrpoLearner;
import dev.esactors.core.rl.GrpoSettings;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.RunState;
import dev.esactors.core.torch.DType;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * GRPO in this process, the RL side of the comparison: every step samples {@code grpo.group-size} completions of
 * each of {@code grpo.prompts} prompts (the same windows over the task's items as ES's batches), scores them with
 * the task's reward, and lets {@link GrpoLearner} take its AdamW passes. Checkpoints (every checkpoint.every steps,
 * and the last) hold the weights and AdamW's moments; a resume loads the newest and recomputes the steps after it,
 * which gives the same weights, since sampling is seeded per step. One process only: its gradients would have to be
 * all-reduced across nodes, where ES sends seeds and scalars.
 */
final class GrpoTraining implements Trainer {

    private final RunConfig config;
    private final RunState state;
    private final GrpoLearner learner;
    private final TaskPrompts prompts;
    private final StepLog rewards;
    private long nextStep;

    private GrpoTraining(RunConfig config, GrpoLearner learner, TaskPrompts prompts, RunState state,
                         Consumer<String> notes) {
        this.config = config;
        this.learner = learner;
        this.prompts = prompts;
        this.state = state;
        Optional<Checkpoint> found = state.latest(Long.MAX_VALUE, notes);
        found.ifPresent(c -> {
            learner.load(c);
            notes.accept("resumed from checkpoint " + c.dir() + " (step " + c.iteration() + ")");
        });
        this.nextStep = found.map(Checkpoint::iteration).orElse(0L);
        this.rewards = new StepLog(config.dir().resolve(StepLog.GRPO_REWARDS));
        rewards.keep(nextStep, true); // appended before each checkpoint: it holds every step up to one
    }

    /**
     * Opens (or resumes) {@code config}'s GRPO run in its directory. The models and prompts load first, so that one
     * that cannot load leaves the directory as it was (a run.json without a run would refuse the next attempt).
     */
    static GrpoTraining open(RunConfig config, Consumer<String> notes) {
        RunDirectory.prepare(config);
        Decoder policy = ModelLoader.load(BaseModel.dir(config), BaseModel.coordinatorDevice(config), DType.F32);
        Decoder reference = config.grpo().klBeta() > 0
                ? ModelLoader.load(BaseModel.dir(config), BaseModel.coordinatorDevice(config), DType.F32) : null;
        GrpoLearner learner = new GrpoLearner(policy, reference, config.grpo());
        TaskPrompts prompts = new TaskPrompts(config, BaseModel.dir(config));
        RunState state = null;
        try {
            state = RunState.open(config.dir(), configHash(config), config.shown(describe(config) + " | "
                    + config.identity()), config.checkpoint().keep());
            state.otherKernels().ifPresent(notes);
            GrpoTraining training = new GrpoTraining(config, learner, prompts, state, notes);
            RunDirectory.saveRunFile(config); // only once the checkpoints accepted this config
            return training;
        } catch (RuntimeException e) {
            prompts.close();
            if (state != null) {
                state.close();
            }
            throw e;
        }
    }

    /**
     * What a checkpoint of this run must have been written with: the settings, the task, the model, the seed. (The
     * ES config's hash covers run.seed and run.control; the identity, the grpo block.)
     */
    private static String configHash(RunConfig config) {
        return Sha256.of(config.es().hash() + "|" + config.identity());
    }

    @Override
    public long nextStep() {
        return nextStep;
    }

    @Override
    public Step step() {
        long t = nextStep;
        List<Integer> items = prompts.batch(t, config.grpo().prompts());
        GrpoLearner.Step step = learner.step(items.stream().map(prompts::prompt).toList(),
                config.task().maxNewTokens(), samplingSeed(t),
                (prompt, completion) -> prompts.reward(items.get(prompt), completion), config.shuffledControl());
        rewards.append(t, step.rewards());
        nextStep = t + 1;
        if (config.checkpoint().every() > 0 && nextStep % config.checkpoint().every() == 0) {
            state.checkpoint(nextStep, learner.snapshot());
        }
        return new Step(RunEvent.IterationDone.of(t, config.iterations(), step.rewards(), step.seconds(), 0, 0, 0,
                false), step.rewards().length, step.tokens(), step.trainedTokens(), // GRPO steps are never skipped
                prompts.tokens(items) * config.grpo().groupSize());
    }

    @Override
    public void score(EvalRound round, EvalDatasets data) {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            RunLoop.score(round, data, learner.policy());
        }
    }

    @Override
    public Map<String, Tensor> weights() {
        return learner.weights();
    }

    @Override
    public Path checkpointTo(Path root) {
        return state.checkpointTo(root, nextStep, learner.snapshot());
    }

    @Override
    public RunCompletion.Trained finish() {
        RunState.Snapshot last = learner.snapshot(); // its weights and hash are also what the run reports
        state.checkpoint(nextStep, last);
        return new RunCompletion.Trained(last.weights(), last.weightsHash(), nextStep, state.configHash(),
                rewards.steps(), describe(config), DType.F32);
    }

    @Override
    public void close() {
        prompts.close();
        state.close();
    }

    /** A seed per step from the run seed: the same run samples the same completions. */
    private long samplingSeed(long t) {
        return new SplittableRandom(config.runSeed() * 0x9E3779B97F4A7C15L + t).nextLong();
    }

    private static String describe(RunConfig config) {
        GrpoSettings s = config.grpo();
        return String.format(Locale.ROOT, "GRPO: %d prompts x %d completions per step, temperature %s, learning rate "
                + "%s, kl-beta %s, %s advantages, %s%s", s.prompts(), s.groupSize(), s.temperature(), s.learningRate(),
                s.klBeta(), s.scaling().name().toLowerCase(Locale.ROOT),
                s.aggregation().name().toLowerCase(Locale.ROOT),
                config.shuffledControl() ? "; control: learns from shuffled rewards" : "");
    }
}
