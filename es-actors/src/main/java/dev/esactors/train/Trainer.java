package dev.esactors.train;

import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Map;

/**
 * A training method as {@link RunLoop} drives it, ES or GRPO, over its run directory's durable state: opening it
 * resumes what the directory holds; each {@link #step} is committed (journalled, or checkpointed when due) before it
 * returns; evaluation rounds score the current weights; {@link #finish} writes the last checkpoint and says what was
 * trained. Everything else a run does (evaluation rounds, counts, best weights, export, report) is the loop's, the
 * same for both methods.
 */
public sealed interface Trainer extends AutoCloseable permits EsTraining, GrpoTraining {

    /**
     * What one step did.
     *
     * @param event         its progress event
     * @param completions   completions sampled
     * @param tokens        tokens generated
     * @param trainedTokens tokens backpropagated through (ES: none)
     * @param promptTokens  prompt tokens its completions were decoded after (each row's prompt, once per row)
     */
    record Step(RunEvent.IterationDone event, long completions, long tokens, long trainedTokens, long promptTokens) {
    }

    /** Steps applied so far: the next step's index. */
    long nextStep();

    /** One step of the method, committed. */
    Step step();

    /** Scores every chunk of {@code round} with the current weights, in order, as evaluators would. */
    void score(EvalRound round, EvalDatasets data);

    /** The current fp32 weights by name (what a held-out round measures drift on). */
    Map<String, Tensor> weights();

    /** Checkpoints the current state under {@code root} (best/), keeping one; returns its directory. */
    Path checkpointTo(Path root);

    /** Writes the last checkpoint and returns what the run trained. */
    RunCompletion.Trained finish();

    @Override
    void close();
}
