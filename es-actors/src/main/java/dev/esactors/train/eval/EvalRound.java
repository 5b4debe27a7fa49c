package dev.esactors.train.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One evaluation of the weights after {@code iteration} updates, on some of the run's datasets: its chunks (scored by
 * evaluators, or in this process), their results, and their sums in chunk order (so the result equals a local
 * evaluation bit for bit, whoever scored which chunk).
 */
public final class EvalRound {

    /** Why the weights are evaluated. */
    public enum Purpose {
        /** the base model, before the first update: the left column of the final table */
        BASE,
        /** every eval.every iterations, on eval.validation (else the first of eval.datasets) */
        HELD_OUT,
        /** the final weights: the right column of the final table */
        FINAL
    }

    /**
     * A unit of evaluation work.
     *
     * @param dataset index into eval.datasets
     * @param index   chunk index within the dataset
     */
    public record Chunk(int dataset, int index) {
    }

    private final Purpose purpose;
    private final long iteration;
    private final List<Integer> datasets;
    private final Map<Integer, Evaluation.Tally[]> results = new HashMap<>();
    private final List<Chunk> units = new ArrayList<>();
    private final long start = System.nanoTime();
    private final java.util.Set<String> scorers = new java.util.TreeSet<>();
    private int missing;

    public EvalRound(Purpose purpose, long iteration, List<Integer> datasets, EvalDatasets data) {
        this.purpose = purpose;
        this.iteration = iteration;
        this.datasets = List.copyOf(datasets);
        for (int d : datasets) {
            int chunks = data.chunks(d);
            results.put(d, new Evaluation.Tally[chunks]);
            for (int k = 0; k < chunks; k++) {
                units.add(new Chunk(d, k));
            }
            missing += chunks;
        }
    }

    public Purpose purpose() {
        return purpose;
    }

    public long iteration() {
        return iteration;
    }

    public List<Integer> datasets() {
        return datasets;
    }

    /** Every chunk of the round, dataset by dataset in chunk order. */
    public List<Chunk> units() {
        return List.copyOf(units);
    }

    /** Records a chunk's result; false if it is not part of this round or was already answered. */
    public boolean accept(Chunk chunk, Evaluation.Tally tally, String evaluatorId) {
        Evaluation.Tally[] slots = results.get(chunk.dataset());
        if (slots == null || chunk.index() < 0 || chunk.index() >= slots.length || slots[chunk.index()] != null) {
            return false;
        }
        slots[chunk.index()] = tally;
        scorers.add(evaluatorId);
        missing--;
        return true;
    }

    public boolean complete() {
        return missing == 0;
    }

    /** How many evaluators scored chunks of this round. */
    public int scorers() {
        return scorers.size();
    }

    public int chunks() {
        return results.values().stream().mapToInt(a -> a.length).sum();
    }

    /** The summary of {@code dataset} (complete rounds only): chunk tallies summed in order. */
    public Evaluation.Summary summary(int dataset, String model) {
        Evaluation.Tally total = Evaluation.Tally.EMPTY;
        for (Evaluation.Tally t : results.get(dataset)) {
            total = total.plus(t);
        }
        return total.summary(model, seconds());
    }

    public double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
