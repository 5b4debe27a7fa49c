package dev.esactors.train;

import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.BaseDivergence;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.EvalRound;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.FinalEvaluation;
import dev.esactors.train.eval.WeightDrift;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * When a run evaluates its unperturbed weights, and what those rounds gave: the base model before the first update,
 * the held-out dataset every eval.every iterations (keeping the best weights so far in best/), and every dataset
 * at the end. The coordinator hands a due round's chunks to evaluators; the single-process loops (ES and GRPO) score
 * them themselves; all report the complete round here. Held-out scores are kept in {@value #HELD_OUT} in the run
 * directory, so that a resumed run reports (and a study plots) the whole curve.
 */
public final class EvaluationSchedule implements AutoCloseable {

    /**
     * Held-out scores so far, a line each: updates applied, accuracy, mean reward, samples, pass@samples,
     * maj@samples, KL to the base model, group=drift pairs and extraI=accuracy/reward pairs for the eval.extra datasets
     * (older runs' lines hold the first three).
     */
    public static final String HELD_OUT = "held-out.txt";
    /** The prefix of an eval.extra dataset's scores in {@value #HELD_OUT}: extraI=accuracy/reward for extra I. */
    public static final String EXTRA = "extra";

    private final RunConfig config;
    private final EvalDatasets data; // null when the run has no eval datasets
    private List<Evaluation.Summary> base;
    private List<FinalEvaluation.Row> finalRows;
    private long heldOutAt = -1;
    private final List<RunEvent.HeldOut> history = new ArrayList<>();
    private BestWeights best; // null until the first held-out round (or one saved before a restart)
    private BaseDivergence divergence; // the base model's side of the KL, made at the first held-out round

    /**
     * The schedule of {@code config}'s run, continuing at iteration {@code resumedAt} from what its run directory
     * saved (base scores, best/, the held-out scores before that iteration).
     */
    public EvaluationSchedule(RunConfig config, long resumedAt) {
        this.config = config;
        if (config.eval().datasets().isEmpty()) {
            this.data = null;
            return;
        }
        this.data = new EvalDatasets(config);
        this.base = RunDirectory.readBaseEvaluation(config);
        this.best = BestWeights.read(config, data.path(data.heldOut())).orElse(null);
        restoreHeldOut(resumedAt);
    }

    /** Reads the held-out scores saved before {@code resumedAt} (later rounds are run again) and keeps only those. */
    private void restoreHeldOut(long resumedAt) {
        Path file = config.dir().resolve(HELD_OUT);
        if (!Files.isRegularFile(file)) {
            return;
        }
        Path dataset = data.path(data.heldOut());
        StringBuilder kept = new StringBuilder();
        double bestAccuracy = Double.NEGATIVE_INFINITY;
        long bestIteration = -1;
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split(" ");
                if (f.length < 3 || Long.parseLong(f[0]) >= resumedAt) {
                    break; // a torn line, or a round after the resume point
                }
                long iteration = Long.parseLong(f[0]);
                double accuracy = Double.parseDouble(f[1]);
                if (accuracy > bestAccuracy) {
                    bestAccuracy = accuracy;
                    bestIteration = iteration;
                }
                // iteration, accuracy, reward[, samples, pass@samples, maj@samples, KL, group=drift...]
                boolean more = f.length >= 7;
                Map<String, Double> drift = new LinkedHashMap<>();
                Map<String, RunEvent.Scores> others = new LinkedHashMap<>();
                for (int k = 7; k < f.length; k++) {
                    String[] kv = f[k].split("=", 2);
                    if (kv[0].startsWith(EXTRA)) { // eval.extra's accuracy/reward, by its index there
                        int d = data.count() + Integer.parseInt(kv[0].substring(EXTRA.length()));
                        String[] scores = kv[1].split("/", 2);
                        if (d < data.tableCount()) {
                            others.put(data.label(d), new RunEvent.Scores(Double.parseDouble(scores[0]),
                                    Double.parseDouble(scores[1])));
                        }
                    } else {
                        drift.put(kv[0], Double.parseDouble(kv[1]));
                    }
                }
                history.add(new RunEvent.HeldOut(iteration, dataset, accuracy, Double.parseDouble(f[2]), bestAccuracy,
                        bestIteration, more ? Integer.parseInt(f[3]) : 0, more ? Double.parseDouble(f[4]) : 0,
                        more ? Double.parseDouble(f[5]) : Double.NaN, more ? Double.parseDouble(f[6]) : Double.NaN,
                        drift, others));
                kept.append(line.trim()).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NumberFormatException e) {
            // a torn last line: what was read before it is kept
        }
        AtomicFiles.write(file, kept.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The run's evaluation datasets (null when it has none). */
    public EvalDatasets data() {
        return data;
    }

    /** The round due before iteration {@code t} (updates applied), or null: base at 0, held-out every K, final. */
    public EvalRound due(long t) {
        return due(t, config.iterations());
    }

    /** The round due before iteration {@code t} of a run that ends at {@code end} (its token budget spent). */
    public EvalRound due(long t, long end) {
        if (data == null) {
            return null;
        }
        List<Integer> all = IntStream.range(0, data.tableCount()).boxed().toList();
        if (t == 0 && base == null) {
            return new EvalRound(EvalRound.Purpose.BASE, t, all, data);
        }
        if (config.eval().every() > 0 && t > 0 && t % config.eval().every() == 0 && heldOutAt != t) {
            List<Integer> heldOut = new ArrayList<>(List.of(data.heldOut()));
            data.extras().stream().filter(d -> d != data.heldOut()).forEach(heldOut::add); // and the other tasks
            return new EvalRound(EvalRound.Purpose.HELD_OUT, t, heldOut, data);
        }
        if (t >= end && finalRows == null) {
            return new EvalRound(EvalRound.Purpose.FINAL, t, all, data);
        }
        return null;
    }

    /**
     * Records the complete round {@code done} of the weights after {@code iteration} updates (which are still the
     * run's weights) and returns what to report: a note, and for a held-out round its {@link RunEvent.HeldOut}. A
     * held-out score that beats the best so far has {@code keepBest} checkpoint the weights into the directory it is
     * given (best/). The run's current weights, {@code weights} (fp32 by parameter name), are what a held-out round
     * also measures against the base model: weight drift per tensor group, and KL to the base model on eval.kl-prompts
     * prompts of the held-out dataset.
     */
    public List<RunEvent> completed(EvalRound done, long iteration, Consumer<Path> keepBest,
                                    Map<String, Tensor> weights) {
        List<RunEvent> events = new ArrayList<>();
        events.add(new RunEvent.Note(String.format(Locale.ROOT,
                "evaluated %s weights (iteration %d): %d chunk(s) of %d item(s) scored by %d evaluator(s) in %.1f s",
                done.purpose().name().toLowerCase(Locale.ROOT).replace('_', '-'), done.iteration(),
                done.chunks(), config.eval().batch(), done.scorers(), done.seconds())));
        switch (done.purpose()) {
            case BASE -> {
                base = done.datasets().stream().map(d -> done.summary(d, "base")).toList();
                RunDirectory.writeBaseEvaluation(config, base);
            }
            case HELD_OUT -> {
                Map<Integer, RunEvent.Scores> others = new LinkedHashMap<>();
                for (int d : data.extras()) {
                    Evaluation.Summary s = done.summary(d, "iteration");
                    others.put(d, new RunEvent.Scores(s.accuracy(), s.meanReward()));
                }
                events.add(heldOut(done.summary(data.heldOut(), "iteration"), iteration, keepBest,
                        forgetting(weights), others));
            }
            case FINAL -> {
                List<Evaluation.Summary> before = baseSummaries();
                finalRows = new ArrayList<>();
                for (int d : done.datasets()) {
                    finalRows.add(new FinalEvaluation.Row(data.path(d), data.label(d), before.get(d),
                            done.summary(d, label(config))));
                }
            }
        }
        return events;
    }

    private Map<String, RunEvent.Scores> labelled(Map<Integer, RunEvent.Scores> byDataset) {
        Map<String, RunEvent.Scores> out = new LinkedHashMap<>();
        byDataset.forEach((d, v) -> out.put(data.label(d), v));
        return out;
    }

    /** Drift and KL of {@code weights} from the base model (KL NaN when eval.kl-prompts is 0). */
    private Forgetting forgetting(Map<String, Tensor> weights) {
        try (NoGradGuard noGrad = new NoGradGuard()) { // GRPO's parameters record gradients otherwise
            Map<String, Double> drift = WeightDrift.byLabel(BaseModel.dir(config), weights);
            double kl = Double.NaN;
            if (config.eval().klPrompts() > 0) {
                if (divergence == null) {
                    divergence = data.baseDivergence(config.eval().klPrompts());
                }
                kl = divergence.meanKl(new Decoder(ConfigJson.read(BaseModel.dir(config)), weights));
            }
            return new Forgetting(kl, drift);
        }
    }

    /** How far a round's weights are from the base model: KL on the held-out prompts, drift per tensor group. */
    private record Forgetting(double kl, Map<String, Double> drift) {
    }

    /** Records a held-out score, and keeps the weights in best/ when they beat the best so far. */
    private RunEvent.HeldOut heldOut(Evaluation.Summary s, long iteration, Consumer<Path> keepBest,
                                     Forgetting forgetting, Map<Integer, RunEvent.Scores> others) {
        heldOutAt = iteration;
        Path dataset = data.path(data.heldOut());
        if (best == null || best.beatenBy(s.accuracy(), s.meanReward())) {
            keepBest.accept(BestWeights.dir(config));
            best = new BestWeights(iteration, dataset, s.accuracy(), s.meanReward());
            best.save(config);
        }
        double passAtK = s.samples() > 0 ? s.passAt(s.samples()) : 0;
        RunEvent.HeldOut event = new RunEvent.HeldOut(iteration, dataset, s.accuracy(), s.meanReward(),
                best.accuracy(), best.iteration(), s.samples(), passAtK, s.majority(), forgetting.kl(),
                forgetting.drift(), labelled(others));
        history.add(event);
        StringBuilder drift = new StringBuilder();
        forgetting.drift().forEach((g, v) -> drift.append(' ').append(g).append('=').append(v));
        others.forEach((d, v) -> drift.append(' ').append(EXTRA).append(d - data.count()).append('=')
                .append(v.accuracy()).append('/').append(v.meanReward()));
        try {
            Files.writeString(config.dir().resolve(HELD_OUT), String.format(Locale.ROOT, "%d %s %s %d %s %s %s%s%n",
                    iteration, s.accuracy(), s.meanReward(), s.samples(), passAtK, s.majority(), forgetting.kl(),
                    drift), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + config.dir().resolve(HELD_OUT), e);
        }
        return event;
    }

    /** What the trained weights are called in tables: ES or GRPO. */
    public static String label(RunConfig config) {
        return config.method() == RunConfig.Method.GRPO ? "GRPO" : "ES";
    }

    /** The base model's scores: from the base round, else measured here (a run resumed from before base rounds). */
    public List<Evaluation.Summary> baseSummaries() {
        return base != null ? base : FinalEvaluation.baseLocally(config);
    }

    /** The base-vs-final table of the final round (empty before it, or without eval datasets). */
    public List<FinalEvaluation.Row> finalRows() {
        return finalRows == null ? List.of() : finalRows;
    }

    /** The held-out scores so far (those saved before a resume too), in order. */
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
