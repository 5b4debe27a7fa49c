package dev.esactors.train;

import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.es.EsTrainer;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * ES in this thread, without actors: one model is the master that is perturbed, scored, restored and updated
 * ({@link EsTrainer} over the run's {@link EsRun}), with the same seeds, order and journal as the actors, so a run
 * ends with the same weight hash either way.
 */
final class EsTraining implements Trainer {

    private final RunConfig config;
    private final EsModel model;
    private final EsRun run;
    private final TaskFitness fitness;
    private final EsTrainer trainer;

    private EsTraining(RunConfig config, EsModel model, EsRun run, Consumer<String> notes) {
        this.config = config;
        this.model = model;
        this.run = run;
        this.fitness = new TaskFitness(config, model.decoder(), BaseModel.dir(config));
        this.trainer = new EsTrainer(run, fitness, notes);
    }

    /** Opens (or resumes) {@code config}'s ES run in its directory. */
    static EsTraining open(RunConfig config, Consumer<String> notes) {
        EsModel model = RunDirectory.baseModel(config);
        EsRun run = RunDirectory.open(config, model, notes);
        try {
            return new EsTraining(config, model, run, notes);
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
    }

    @Override
    public long nextStep() {
        return run.nextIteration();
    }

    @Override
    public Step step() {
        long members = config.es().populationSize();
        long promptTokens = members * fitness.promptTokens(run.nextIteration());
        EsTrainer.IterationResult result = trainer.step();
        return new Step(RunEvent.IterationDone.of(result.update(), config.iterations(), result.seconds(), 0, 0, 0),
                members * config.task().batch(), result.tokens(), 0, promptTokens);
    }

    @Override
    public void score(EvalRound round, EvalDatasets data) {
        RunLoop.score(round, data, model.decoder());
    }

    @Override
    public Map<String, Tensor> weights() {
        return run.replica().master();
    }

    @Override
    public Path checkpointTo(Path root) {
        return run.checkpointTo(root);
    }

    @Override
    public RunCompletion.Trained finish() {
        return RunCompletion.trained(config, run);
    }

    @Override
    public void close() {
        run.close();
    }
}
