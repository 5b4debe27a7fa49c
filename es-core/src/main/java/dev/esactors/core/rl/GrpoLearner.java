package dev.esactors.core.rl;

import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.model.TokenLogProbs;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.RunState;
import dev.esactors.core.state.WeightsHash;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * GRPO's tensor step, the counterpart of ES's {@code EsTrainer} step: sample {@code group-size} completions of each
 * prompt, score them, and take {@code passes} AdamW steps on the GRPO loss through LibTorch autograd
 * ({@link TokenLogProbs}, {@link GrpoLoss}). The policy trains in fp32; its weights and AdamW's moments are what a
 * checkpoint holds.
 */
public final class GrpoLearner {

    /** The reward of one sampled completion of prompt {@code prompt} (an index into the step's prompts). */
    @FunctionalInterface
    public interface Reward {
        double of(int prompt, int[] completion);
    }

    /**
     * What one step did.
     *
     * @param rewards       the sampled completions' rewards, prompt by prompt, G each
     * @param tokens        tokens generated
     * @param trainedTokens the completion tokens the loss was backpropagated through, once per pass
     * @param loss          the loss of the last pass
     * @param gradNorm      the gradient's global norm before clipping, last pass (LibTorch's clip_grad_norm_)
     * @param seconds       wall time
     */
    public record Step(double[] rewards, long tokens, long trainedTokens, double loss, double gradNorm,
                       double seconds) {
    }

    private final GrpoSettings settings;
    private final Decoder policy;
    private final Decoder reference; // null when kl-beta is 0
    private final List<String> names;
    private final List<Tensor> parameters;
    private final AdamW optimizer;
    private final GrpoLoss loss;
    private final int eos;

    /**
     * A learner that trains {@code policy} (fp32) with {@code settings}; {@code reference} is the frozen base model
     * of the KL penalty, or null when kl-beta is 0.
     */
    public GrpoLearner(Decoder policy, Decoder reference, GrpoSettings settings) {
        if ((reference == null) != (settings.klBeta() == 0)) {
            throw new IllegalArgumentException("a reference model is needed exactly when kl-beta > 0");
        }
        this.settings = settings;
        this.policy = policy;
        this.reference = reference;
        this.names = List.copyOf(policy.parameters().keySet());
        this.parameters = List.copyOf(policy.parameters().values());
        parameters.forEach(p -> p.requires_grad_(true));
        this.optimizer = new AdamW(parameters, settings.learningRate(), settings.beta1(), settings.beta2(),
                settings.adamEpsilon(), settings.weightDecay());
        this.loss = settings.loss();
        this.eos = policy.config().eosTokenIds().isEmpty() ? -1 : policy.config().eosTokenIds().get(0);
    }

    /** The policy, for scoring outside autograd. */
    public Decoder policy() {
        return policy;
    }

    /**
     * One step on {@code prompts} (each sampled G times with {@code samplingSeed}, up to {@code maxNewTokens}).
     * With {@code shuffledControl} the loss learns from the rewards permuted across the step's completions (updates
     * as large as a real run's, without the signal); the true rewards are what it reports. Every tensor the step makes
     * is freed when it ends (a PointerScope): left to the garbage collector, their native memory piled up to twice the
     * process's resident size, unseen by a Java heap that had no reason to collect.
     */
    public Step step(List<int[]> prompts, int maxNewTokens, long samplingSeed, Reward reward,
                     boolean shuffledControl) {
        try (PointerScope scope = new PointerScope()) {
            return stepTensors(prompts, maxNewTokens, samplingSeed, reward, shuffledControl);
        }
    }

    private Step stepTensors(List<int[]> prompts, int maxNewTokens, long samplingSeed, Reward reward,
                             boolean shuffledControl) {
        long start = System.nanoTime();
        List<int[]> rows = new ArrayList<>();
        for (int[] prompt : prompts) {
            for (int g = 0; g < settings.groupSize(); g++) {
                rows.add(prompt);
            }
        }
        List<int[]> completions = new ArrayList<>();
        double[] rewards = new double[rows.size()];
        long tokens = 0;
        try (NoGradGuard noGrad = new NoGradGuard()) {
            SamplingConfig sampling = new SamplingConfig(settings.temperature(), settings.topP(), samplingSeed);
            List<Completion> sampled = new BatchGenerator(policy).generate(rows, maxNewTokens,
                    Set.copyOf(policy.config().eosTokenIds()), sampling);
            for (int i = 0; i < sampled.size(); i++) {
                Completion c = sampled.get(i);
                rewards[i] = reward.of(i / settings.groupSize(), c.tokens());
                tokens += c.tokens().length;
                completions.add(trained(c));
            }
        }
        double[] learned = shuffledControl ? Update.shuffled(rewards, ~samplingSeed) : rewards;
        Tensor advantages = floats(GroupAdvantages.of(learned, settings.groupSize(), settings.scaling()));
        Tensor old = null;
        Tensor ref = null;
        try (NoGradGuard noGrad = new NoGradGuard()) {
            if (settings.passes() > 1) {
                old = TokenLogProbs.of(policy, rows, completions, settings.temperature()).logProbs();
            }
            if (reference != null) {
                ref = TokenLogProbs.of(reference, rows, completions, settings.temperature()).logProbs();
            }
        }
        long trainedTokens = (long) settings.passes() * completions.stream().mapToLong(c -> c.length).sum();
        double lastLoss = Double.NaN;
        double norm = Double.NaN;
        for (int pass = 0; pass < settings.passes(); pass++) {
            optimizer.zeroGrad();
            // the distribution the completions were sampled from: softmax(logits / T)
            TokenLogProbs.Batch batch = TokenLogProbs.of(policy, rows, completions, settings.temperature());
            Tensor before = old != null ? old : batch.logProbs().detach();
            Tensor value = loss.loss(batch.logProbs(), before, ref, batch.mask(), advantages);
            value.backward();
            // LibTorch returns the norm before clipping; an infinite bound leaves the gradients as they are.
            norm = optimizer.clipGradNorm(settings.gradClip() > 0 ? settings.gradClip() : Double.POSITIVE_INFINITY);
            lastLoss = value.item_double();
            // A diverged step would leave NaN weights that every later step, checkpoint and export carries on:
            // stop before it is applied (or, when the update itself overflows, before anything is written).
            if (!Double.isFinite(lastLoss) || !Double.isFinite(norm)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "GRPO diverged: pass %d's loss is %s and "
                        + "its gradient norm %s; the run stops before its weights change (lower grpo.learning-rate "
                        + "or grpo.kl-beta, or set grpo.grad-clip)", pass + 1, lastLoss, norm));
            }
            optimizer.update();
            if (!finiteWeights()) {
                throw new IllegalStateException("GRPO diverged: an AdamW step of pass " + (pass + 1) + " made weights "
                        + "that are not finite; the run stops before they are checkpointed or exported (lower "
                        + "grpo.learning-rate)");
            }
        }
        return new Step(rewards, tokens, trainedTokens, lastLoss, norm, (System.nanoTime() - start) / 1e9);
    }

    private boolean finiteWeights() {
        for (Tensor p : parameters) {
            if (!torch.isfinite(p.detach()).all().item_bool()) {
                return false;
            }
        }
        return true;
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
        return WeightsHash.of(names, parameters);
    }

    /** The policy's weights by name, outside autograd. */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            weights.put(names.get(i), parameters.get(i).detach());
        }
        return weights;
    }

    /** What a checkpoint of the learner holds: the weights and AdamW's moments and step. */
    public RunState.Snapshot snapshot() {
        return new RunState.Snapshot(weights(), optimizer.state(names), optimizer.step(), weightsHash());
    }

    /** Loads the weights and AdamW's state from {@code checkpoint}. */
    public void load(Checkpoint checkpoint) {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            Map<String, Tensor> saved = checkpoint.master();
            for (int i = 0; i < names.size(); i++) {
                Tensor tensor = saved.get(names.get(i));
                if (tensor == null) {
                    throw new IllegalStateException("checkpoint " + checkpoint.dir() + " lacks '" + names.get(i)
                            + "'");
                }
                parameters.get(i).detach().copy_(tensor);
            }
        }
        optimizer.load(names, checkpoint.optimizer(), checkpoint.optimizerStep());
    }

    private static Tensor floats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = (float) values[i];
        }
        return TensorData.floats(f, values.length);
    }
}
