package dev.esactors.train;

import dev.esactors.core.es.EsRun;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * When a run evaluates its unperturbed weights, and what those rounds gave: the base model before the first update,
 * the held-out dataset every eval.every iterations (keeping the best weights so far in best/), and every dataset
 * at the end. The coordinator hands a due round's chunks to evaluators; the single-process loop scores them itself;
 * both report the complete round here.
 */
public final class EvaluationSchedule implements AutoCloseable {

    private final RunConfig config;
    private final EvalDatasets data; // null when the run has no eval datasets
    private List<Evaluation.Summary> base;
    private List<FinalEvaluation.Row> finalRows;
    private long heldOutAt = -1;
    private final List<RunEvent.HeldOut> history = new ArrayList<>();
    private BestWeights best; // null until the first held-out round (or one saved before a restart)

    /** The schedule of {@code config}'s run, continuing from what its run directory saved (base scores, best/). */
    public EvaluationSchedule(RunConfig config) {
        this.config = config;
        if (config.evalDatasets().isEmpty()) {
            this.data = null;
            return;
        }
        this.data = new EvalDatasets(config);
        this.base = RunDirectory.readBaseEvaluation(config);
        this.best = BestWeights.read(config, data.path(data.heldOut())).orElse(null);
    }

    /** The run's evaluation datasets (null when it has none). */
    public EvalDatasets data() {
        return data;
    }

    /** The round due before iteration {@code t} (updates applied), or null: base at 0, held-out every K, final. */
    public EvalRound due(long t) {
        if (data == null) {
            return null;
        }
        List<Integer> all = IntStream.range(0, data.count()).boxed().toList();
        if (t == 0 && base == null) {
            return new EvalRound(EvalRound.Purpose.BASE, t, all, data);
        }
        if (config.evalEvery() > 0 && t > 0 && t % config.evalEvery() == 0 && heldOutAt != t) {
            return new EvalRound(EvalRound.Purpose.HELD_OUT, t, List.of(data.heldOut()), data);
        }
        if (t >= config.iterations() && finalRows == null) {
            return new EvalRound(EvalRound.Purpose.FINAL, t, all, data);
        }
        return null;
    }

    /**
     * Records the complete round {@code done} of {@code run}'s weights (which are still those it scored) and returns
     * what to report: a note, and for a held-out round its {@link RunEvent.HeldOut}. A held-out score that beats the
     * best so far checkpoints the weights into best/.
     */
    public List<RunEvent> completed(EvalRound done, EsRun run) {
        List<RunEvent> events = new ArrayList<>();
        events.add(new RunEvent.Note(String.format(Locale.ROOT,
                "evaluated %s weights (iteration %d): %d chunk(s) of %d item(s) scored by %d evaluator(s) in %.1f s",
                done.purpose().name().toLowerCase(Locale.ROOT).replace('_', '-'), done.iteration(),
                done.chunks(), config.evalBatch(), done.scorers(), done.seconds())));
        switch (done.purpose()) {
            case BASE -> {
                base = done.datasets().stream().map(d -> done.summary(d, "base")).toList();
                RunDirectory.writeBaseEvaluation(config, base);
            }
            case HELD_OUT -> events.add(heldOut(done.summary(data.heldOut(), "iteration"), run));
            case FINAL -> {
                List<Evaluation.Summary> before = baseSummaries();
                finalRows = new ArrayList<>();
                for (int d : done.datasets()) {
                    finalRows.add(new FinalEvaluation.Row(data.path(d), before.get(d), done.summary(d, "ES")));
                }
            }
        }
        return events;
    }

    /** Records a held-out score, and keeps the weights in best/ when they beat the best so far. */
    private RunEvent.HeldOut heldOut(Evaluation.Summary s, EsRun run) {
        heldOutAt = run.nextIteration();
        Path dataset = data.path(data.heldOut());
        if (best == null || best.beatenBy(s.accuracy(), s.meanReward())) {
            run.checkpointTo(BestWeights.dir(config));
            best = new BestWeights(run.nextIteration(), dataset, s.accuracy(), s.meanReward());
            best.save(config);
        }
        RunEvent.HeldOut event = new RunEvent.HeldOut(run.nextIteration(), dataset, s.accuracy(), s.meanReward(),
                best.accuracy(), best.iteration());
        history.add(event);
        return event;
    }

    /** The base model's scores: from the base round, else measured here (a run resumed from before base rounds). */
    public List<Evaluation.Summary> baseSummaries() {
        return base != null ? base : FinalEvaluation.baseLocally(config);
    }

    /** The base-vs-final table of the final round (empty before it, or without eval datasets). */
    public List<FinalEvaluation.Row> finalRows() {
        return finalRows == null ? List.of() : finalRows;
    }

    /** The held-out scores of this process's rounds, in order. */
    public List<RunEvent.HeldOut> history() {
        return history;
    }

    /** The best held-out score so far and where it was reached, or null before any. */
    public BestWeights best() {
        return best;
    }

    @Override
    public void close() {
        if (data != null) {
            data.close();
        }
    }
}
