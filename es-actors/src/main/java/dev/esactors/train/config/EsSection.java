package dev.esactors.train.config;

import com.typesafe.config.Config;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.noise.NoiseMode;
import dev.esactors.core.es.noise.ParameterFilter;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.update.AlphaSchedule;
import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.UpdateRule;

import java.util.Locale;

import static dev.esactors.train.config.ConfigKeys.check;
import static dev.esactors.train.config.ConfigKeys.get;

/** The {@code es} block of a run file. */
final class EsSection {

    private EsSection() {
    }

    /** The es block, and the run-level run.seed and run.control the ES config carries. */
    static EsConfig parse(String where, Config c) {
        int population = get(where, "es.population", () -> c.getInt("es.population"));
        double sigma = get(where, "es.sigma", () -> c.getDouble("es.sigma"));
        double alpha = get(where, "es.alpha", () -> c.getDouble("es.alpha"));
        FitnessShaping shaping = switch (get(where, "es.shaping", () -> c.getString("es.shaping")).toLowerCase(Locale.ROOT)) {
            case "zscore", "z-score" -> FitnessShaping.ZSCORE;
            case "centered-ranks", "ranks" -> FitnessShaping.CENTERED_RANKS;
            case "per-prompt" -> FitnessShaping.PER_PROMPT;
            case "none" -> FitnessShaping.NONE;
            default -> throw new IllegalArgumentException(where + "es.shaping must be zscore, centered-ranks, "
                    + "per-prompt or none, got '" + c.getString("es.shaping") + "'");
        };
        boolean antithetic = get(where, "es.antithetic", () -> c.getBoolean("es.antithetic"));
        NoiseMode noise = switch (get(where, "es.noise", () -> c.getString("es.noise")).toLowerCase(Locale.ROOT)) {
            case "per-tensor" -> NoiseMode.PER_TENSOR;
            case "shared-seed" -> NoiseMode.SHARED_SEED;
            default -> throw new IllegalArgumentException(where + "es.noise must be per-tensor or shared-seed, got '"
                    + c.getString("es.noise") + "'");
        };
        String parameters = get(where, "es.parameters", () -> c.getString("es.parameters"));
        ParameterFilter filter = switch (parameters) {
            case "all" -> ParameterFilter.ALL;
            case "matrices" -> ParameterFilter.MATRICES;
            default -> check(where, "es.parameters", () -> ParameterFilter.matching(parameters));
        };
        double decay = get(where, "es.weight-decay", () -> c.getDouble("es.weight-decay"));
        String rule = get(where, "es.update", () -> c.getString("es.update")).toLowerCase(Locale.ROOT);
        UpdateRule update = switch (rule) {
            case "plain" -> check(where, "es.weight-decay", () -> new UpdateRule.Plain(decay));
            case "adam" -> check(where, "es.weight-decay", () -> new UpdateRule.Adam(0.9, 0.999, 1e-8, decay));
            default -> throw new IllegalArgumentException(where + "es.update must be plain or adam, got '" + rule + "'");
        };
        long seed = get(where, "run.seed", () -> c.getLong("run.seed"));
        String control = get(where, "run.control", () -> c.getString("run.control")).toLowerCase(Locale.ROOT);
        if (!control.equals("none") && !control.equals("shuffled-rewards")) {
            throw new IllegalArgumentException(where + "run.control must be none or shuffled-rewards, got '" + control
                    + "'");
        }
        String mode = get(where, "es.perturbation", () -> c.getString("es.perturbation")).toLowerCase(Locale.ROOT);
        int rank = get(where, "es.rank", () -> c.getInt("es.rank"));
        int perPass = get(where, "es.members-per-pass", () -> c.getInt("es.members-per-pass"));
        Perturbation perturbation = switch (mode) {
            case "full-rank" -> Perturbation.FULL;
            case "low-rank" -> check(where, "es.rank / es.members-per-pass", () -> new Perturbation.LowRank(rank, perPass));
            default -> throw new IllegalArgumentException(where + "es.perturbation must be full-rank or low-rank, got '"
                    + mode + "'");
        };
        String scheduleName = get(where, "es.alpha-schedule", () -> c.getString("es.alpha-schedule"))
                .toLowerCase(Locale.ROOT);
        double finalAlpha = get(where, "es.alpha-final", () -> c.getDouble("es.alpha-final"));
        int decayIterations = get(where, "es.alpha-decay-iterations", () -> c.getInt("es.alpha-decay-iterations"));
        int horizon = decayIterations > 0 ? decayIterations : get(where, "run.iterations", () -> c.getInt("run.iterations"));
        AlphaSchedule schedule = switch (scheduleName) {
            case "constant" -> AlphaSchedule.CONSTANT;
            case "cosine" -> check(where, "es.alpha-final / es.alpha-decay-iterations",
                    () -> new AlphaSchedule.Cosine(finalAlpha, horizon));
            default -> throw new IllegalArgumentException(where + "es.alpha-schedule must be constant or cosine, got '"
                    + scheduleName + "'");
        };
        double anchorDecay = get(where, "es.anchor-decay", () -> c.getDouble("es.anchor-decay"));
        if (!(anchorDecay >= 0) || !(alpha * anchorDecay <= 1)) {
            throw new IllegalArgumentException(where + "es.anchor-decay must be >= 0 and at most 1 / es.alpha (each "
                    + "update moves the weights by alpha x anchor-decay of their distance to the base), got "
                    + anchorDecay);
        }
        return check(where, "es.population / es.sigma / es.alpha / es.antithetic / es.noise",
                () -> new EsConfig(population, sigma, alpha, shaping, antithetic, noise, filter, update, seed,
                        control.equals("shuffled-rewards"), perturbation, schedule, anchorDecay));
    }
}
