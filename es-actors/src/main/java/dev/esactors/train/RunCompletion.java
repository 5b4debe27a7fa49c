package dev.esactors.train;

import dev.esactors.core.es.EsRun;
import dev.esactors.core.state.Checkpoint;
import dev.esactors.core.state.HfExport;
import dev.esactors.core.torch.DType;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The end of a run, however it was trained: a last checkpoint, the final weights chosen (the last, or the best on
 * validation), exported in Hugging Face layout, and the report with the base-vs-final table.
 */
public final class RunCompletion {

    private RunCompletion() {
    }

    /**
     * What a run trained, whichever the method.
     *
     * @param weights     the last weights, fp32, by name
     * @param hash        their SHA-256
     * @param iterations  iterations (steps) applied
     * @param configHash  what its checkpoints (best/ among them) were written under
     * @param rewards     each iteration's raw rewards, for the report
     * @param description the method and its hyperparameters, for the report
     * @param exportType  the type the export is written in
     */
    public record Trained(Map<String, Tensor> weights, String hash, long iterations, String configHash,
                          List<double[]> rewards, String description, DType exportType) {
    }

    /** Writes the ES {@code run}'s last checkpoint and returns what it trained. */
    public static Trained trained(RunConfig config, EsRun run) {
        run.checkpoint();
        return new Trained(run.replica().master(), run.replica().masterHash(), run.nextIteration(), run.configHash(),
                run.updates().stream().map(u -> u.rewards()).toList(), "population " + config.es().populationSize()
                + ", sigma " + config.es().sigma() + ", alpha " + config.es().alphaDescription(),
                DType.parseWorking(config.model().dtype()));
    }

    /** Finishes a run that trained {@code trained}. Returns the event that says where everything went. */
    public static RunEvent.RunFinished finish(RunConfig config, Trained trained, EvaluationSchedule schedule,
                                              Consumer<RunEvent> notes) {
        Map<String, Tensor> finalWeights = trained.weights();
        List<FinalEvaluation.Row> evaluation = schedule.finalRows();
        if (config.eval().finalWeights() == RunConfig.FinalWeights.BEST) {
            Checkpoint chosen = chosenWeights(config, trained, schedule, notes);
            if (chosen != null) {
                finalWeights = chosen.master();
                evaluation = scoreChosen(config, trained, schedule, chosen, evaluation, notes);
            }
        }
        Path exported = config.dir().resolve("export");
        HfExport.write(exported, BaseModel.dir(config), finalWeights, trained.exportType());
        Path report = RunReport.write(config, trained.rewards(), trained.description(), evaluation,
                schedule.history(), config.dir());
        return new RunEvent.RunFinished(trained.iterations(), trained.hash(), config.dir(), exported, report,
                evaluation);
    }

    /** The checkpoint in best/ for eval.final-weights = best, or null (with a note) when there is none to use. */
    private static Checkpoint chosenWeights(RunConfig config, Trained trained, EvaluationSchedule schedule,
                                            Consumer<RunEvent> notes) {
        if (schedule.best() == null) {
            notes.accept(new RunEvent.Note("eval.final-weights = best, but no held-out evaluation ran (eval.every "
                    + config.eval().every() + ", " + config.iterations() + " iterations): the last weights are the "
                    + "result"));
            return null;
        }
        Optional<Checkpoint> chosen = BestWeights.load(config, trained.configHash(),
                warning -> notes.accept(new RunEvent.Note(warning)));
        if (chosen.isEmpty()) {
            notes.accept(new RunEvent.Note("no intact checkpoint in " + BestWeights.dir(config)
                    + ": the last weights are the result"));
        }
        return chosen.orElse(null);
    }

    /**
     * The final table for the chosen weights, scored here chunk by chunk (evaluators hold the last weights); the
     * last weights' scores, from the final round, go to a note.
     */
    private static List<FinalEvaluation.Row> scoreChosen(RunConfig config, Trained trained,
                                                         EvaluationSchedule schedule, Checkpoint chosen,
                                                         List<FinalEvaluation.Row> last, Consumer<RunEvent> notes) {
        List<Evaluation.Summary> scores = FinalEvaluation.locally(config, chosen.master(),
                EvaluationSchedule.label(config) + "@" + chosen.iteration());
        List<Evaluation.Summary> base = last.size() == scores.size()
                ? last.stream().map(FinalEvaluation.Row::base).toList() : schedule.baseSummaries();
        List<FinalEvaluation.Row> rows = new ArrayList<>();
        StringBuilder lastScores = new StringBuilder();
        for (int d = 0; d < scores.size(); d++) {
            rows.add(new FinalEvaluation.Row(schedule.data().path(d), schedule.data().label(d), base.get(d),
                    scores.get(d)));
        }
        for (int d = 0; d < last.size(); d++) {
            lastScores.append(String.format(Locale.ROOT, "%s %s %.1f%%", d == 0 ? "" : ",",
                    schedule.data().label(d), 100 * last.get(d).tuned().accuracy()));
        }
        BestWeights best = schedule.best();
        notes.accept(new RunEvent.Note(String.format(Locale.ROOT,
                "final weights: the best on %s (iteration %d of %d, accuracy %.1f%%), in export/; the last weights "
                        + "scored%s", best.dataset().getFileName(), chosen.iteration(), trained.iterations(),
                100 * best.accuracy(), lastScores)));
        return rows;
    }
}
