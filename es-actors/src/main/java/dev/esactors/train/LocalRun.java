package dev.esactors.train;

import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.es.EsTrainer;
import dev.esactors.core.model.Decoder;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;

import java.util.function.Consumer;

/**
 * A whole run in this thread, without an actor system: the same run directory, task fitness, evaluation rounds,
 * best weights, export and report as the actors, in the same order, so it ends with the same weight hash. One
 * model does everything: its replica is the master that is perturbed, scored, restored and updated.
 */
public final class LocalRun {

    private LocalRun() {
    }

    /** Runs {@code config} to its last iteration (resuming what its directory holds); returns the final event. */
    public static RunEvent run(RunConfig config, Consumer<RunEvent> events) {
        EsRun run;
        EsModel model;
        try {
            model = RunDirectory.baseModel(config);
            run = RunDirectory.open(config, model, message -> events.accept(new RunEvent.Note(message)));
        } catch (RuntimeException e) {
            return failed(events, "cannot open run " + config.id() + ": " + e.getMessage());
        }
        try (run; EvaluationSchedule schedule = new EvaluationSchedule(config, run.nextIteration())) {
            TaskFitness fitness = new TaskFitness(config, model.decoder(), BaseModel.dir(config));
            EsTrainer trainer = new EsTrainer(run, fitness, message -> events.accept(new RunEvent.Note(message)));
            StepLog counts = new StepLog(config.dir().resolve(StepLog.COUNTS));
            counts.keep(run.nextIteration(), false);
            long perIteration = (long) config.es().populationSize() * config.task().batch();
            while (true) {
                long t = run.nextIteration();
                long end = counts.end(config, t);
                EvalRound due = schedule.due(t, end);
                if (due != null) {
                    score(due, schedule.data(), model.decoder());
                    schedule.completed(due, t, run::checkpointTo, run.replica().master()).forEach(events);
                } else if (t >= end) {
                    break;
                } else {
                    EsTrainer.IterationResult step = trainer.step();
                    counts.append(t, perIteration, step.tokens(), 0); // ES trains on no token: no backpropagation
                    events.accept(RunEvent.IterationDone.of(step.update(), config.iterations(), step.seconds(), 0, 0,
                            0));
                }
            }
            RunEvent.RunFinished finished = RunCompletion.finish(config, run, schedule, events);
            events.accept(finished);
            return finished;
        } catch (RuntimeException e) {
            return failed(events, "the run failed: " + e);
        }
    }

    /** Scores every chunk of {@code round} with {@code decoder}'s weights, in order, as evaluators would. */
    static void score(EvalRound round, EvalDatasets data, Decoder decoder) {
        for (EvalRound.Chunk chunk : round.units()) {
            round.accept(chunk, data.score(decoder, chunk.dataset(), chunk.index()), "local");
        }
    }

    private static RunEvent failed(Consumer<RunEvent> events, String reason) {
        RunEvent.RunFailed failed = new RunEvent.RunFailed(reason);
        events.accept(failed);
        return failed;
    }
}
