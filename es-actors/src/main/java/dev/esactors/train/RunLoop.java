package dev.esactors.train;

import dev.esactors.core.model.Decoder;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;

import java.util.function.Consumer;

/**
 * A whole run in this process, whatever the method, top to bottom: open (or resume) the method's {@link Trainer};
 * then until the last step (or the token or core-seconds budget), an evaluation round when one is due, else a step,
 * its counts and its event; then the end of the run ({@link RunCompletion}: the chosen weights exported, the
 * report). The Coordinator actor runs the same schedule for ES on the actors, with its evaluators scoring.
 */
public final class RunLoop {

    private RunLoop() {
    }

    /** Runs {@code config} to its last step in this thread, resuming what its directory holds; returns the end. */
    public static RunEvent run(RunConfig config, Consumer<RunEvent> events) {
        Consumer<String> notes = message -> events.accept(new RunEvent.Note(message));
        Trainer trainer;
        try {
            trainer = config.method() == RunConfig.Method.GRPO ? GrpoTraining.open(config, notes)
                    : EsTraining.open(config, notes);
        } catch (RuntimeException e) {
            return failed(events, "cannot open run " + config.id() + ": " + reason(e));
        }
        try (trainer; EvaluationSchedule schedule = new EvaluationSchedule(config, trainer.nextStep())) {
            StepLog counts = new StepLog(config.dir().resolve(StepLog.COUNTS));
            counts.keep(trainer.nextStep(), false);
            if (trainer.nextStep() > 0) {
                events.accept(new RunEvent.Resumed(trainer.nextStep(), counts.known(StepLog.CORE_SECONDS),
                        counts.known(StepLog.WALL_SECONDS)));
            }
            double cpu = ProcessMeter.cpuSeconds();
            long wall = System.nanoTime();
            while (true) {
                long t = trainer.nextStep();
                long end = counts.end(config, t);
                EvalRound due = schedule.due(t, end);
                if (due != null) {
                    trainer.score(due, schedule.data());
                    schedule.completed(due, t, trainer::checkpointTo, trainer.weights()).forEach(events);
                } else if (t >= end) {
                    break;
                } else {
                    Trainer.Step step = trainer.step();
                    double now = ProcessMeter.cpuSeconds();
                    long nanos = System.nanoTime();
                    counts.append(t, step.completions(), step.tokens(), step.trainedTokens(), now - cpu,
                            step.promptTokens(), (nanos - wall) / 1e9);
                    cpu = now;
                    wall = nanos;
                    events.accept(step.event());
                }
            }
            RunEvent.RunFinished finished = RunCompletion.finish(config, trainer.finish(), schedule, events);
            events.accept(finished);
            return finished;
        } catch (RuntimeException e) {
            return failed(events, "the run failed: " + reason(e));
        }
    }

    /** Scores every chunk of {@code round} with {@code decoder}'s weights, in order, as evaluators would. */
    static void score(EvalRound round, EvalDatasets data, Decoder decoder) {
        for (EvalRound.Chunk chunk : round.units()) {
            round.accept(chunk, data.score(decoder, chunk.dataset(), chunk.index()), "local");
        }
    }

    private static String reason(RuntimeException e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static RunEvent failed(Consumer<RunEvent> events, String reason) {
        RunEvent.RunFailed failed = new RunEvent.RunFailed(reason);
        events.accept(failed);
        return failed;
    }
}
