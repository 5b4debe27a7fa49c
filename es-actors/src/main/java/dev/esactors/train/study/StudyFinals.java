package dev.esactors.train.study;

import com.typesafe.config.Config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A study's last stage, at each arm's chosen setting once it is confirmed: what a reviewer asks of a finalist besides
 * its score. Controls: the same runs learning from shuffled rewards (run.control = shuffled-rewards), which must not
 * gain, on the screening seeds. A budget sweep: the same runs at fractions (or multiples) of the study's budget, on
 * every seed of the setting, so that a table can say at which budget one method catches up. Diagnostics: pass@1..K of
 * sampled answers on the first items of the test set, for every run of the setting and for the base model, beside
 * the KL to the base model and the weight drift of the run's last held-out round.
 *
 * @param controls    whether each chosen setting also runs with shuffled rewards
 * @param budgets     fractions of the study's budget each chosen setting also runs at (each &gt; 0 and not 1)
 * @param samples     answers sampled per test item for pass@k (0: no diagnostics)
 * @param items       the first this many test items are sampled
 * @param temperature their sampling temperature
 */
public record StudyFinals(boolean controls, List<Double> budgets, int samples, int items, double temperature) {

    /** No last stage: what a study file without these keys plans. */
    public static final StudyFinals NONE = new StudyFinals(false, List.of(), 0, 0, 0.7);

    private static final Set<String> DIAGNOSTIC_KEYS = Set.of("samples", "items", "temperature");

    public StudyFinals {
        budgets = List.copyOf(budgets);
    }

    /** Whether the study has a last stage at all. */
    public boolean any() {
        return controls || !budgets.isEmpty() || samples > 0;
    }

    /** Reads study.controls, study.budgets and study.diagnostics { samples, items, temperature }. */
    static StudyFinals read(Config study) {
        boolean controls = study.hasPath("controls") && study.getBoolean("controls");
        List<Double> budgets = study.hasPath("budgets") ? study.getDoubleList("budgets") : List.of();
        List<Double> seen = new ArrayList<>();
        for (double b : budgets) {
            if (!(b > 0 && b <= 100) || b == 1) {
                throw new IllegalArgumentException("study.budgets holds fractions of the study's budget in (0, 100] "
                        + "other than 1 (the study's own runs are the budget 1), got " + b);
            }
            if (seen.contains(b)) {
                throw new IllegalArgumentException("study.budgets repeats " + b);
            }
            seen.add(b);
        }
        int samples = 0;
        int items = 0;
        double temperature = 0.7;
        if (study.hasPath("diagnostics")) {
            Config d = study.getConfig("diagnostics");
            for (String key : d.root().keySet()) {
                if (!DIAGNOSTIC_KEYS.contains(key)) {
                    throw new IllegalArgumentException("unknown key 'study.diagnostics." + key + "' (known: "
                            + DIAGNOSTIC_KEYS + ")");
                }
            }
            samples = d.hasPath("samples") ? d.getInt("samples") : 8;
            items = d.hasPath("items") ? d.getInt("items") : 500;
            temperature = d.hasPath("temperature") ? d.getDouble("temperature") : 0.7;
            if (samples < 1 || samples > 64) {
                throw new IllegalArgumentException("study.diagnostics.samples must be in [1, 64], got " + samples);
            }
            if (items < 1) {
                throw new IllegalArgumentException("study.diagnostics.items must be >= 1, got " + items);
            }
            if (!(temperature >= 1e-3 && temperature <= 10)) {
                throw new IllegalArgumentException("study.diagnostics.temperature must be in [0.001, 10], got "
                        + temperature);
            }
        }
        return new StudyFinals(controls, budgets, samples, items, temperature);
    }

    /** How a budget reads in run names and tables: 0.1 as "0.1", 3 as "3". */
    static String label(double budget) {
        return budget == Math.rint(budget) ? Long.toString((long) budget) : Double.toString(budget);
    }
}
