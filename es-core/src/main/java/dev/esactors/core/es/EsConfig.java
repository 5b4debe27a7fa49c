package dev.esactors.core.es;

import dev.esactors.core.es.noise.NoiseMode;
import dev.esactors.core.es.noise.ParameterFilter;
import dev.esactors.core.es.noise.Perturbation;
import dev.esactors.core.es.noise.SeedSchedule;
import dev.esactors.core.es.update.AlphaSchedule;
import dev.esactors.core.es.update.FitnessShaping;
import dev.esactors.core.es.update.UpdateRule;
import dev.esactors.core.es.update.UpdateSettings;
import dev.esactors.core.io.Sha256;

/**
 * The hyperparameters of an ES run. {@link #paper(long)} gives the defaults of Qiu et al. 2025: N=30,
 * sigma=1e-3, alpha=5e-4, z-score shaping, no antithetic sampling, every parameter perturbed.
 *
 * @param populationSize N, members per iteration
 * @param sigma          noise scale
 * @param alpha          learning rate
 * @param shaping        reward shaping
 * @param antithetic     mirrored noise pairs (+eps, -eps)
 * @param noiseMode      per-tensor seeds, or the paper code's shared seed
 * @param parameters     which parameters are perturbed and updated
 * @param update         plain ES update or Adam, with optional weight decay
 * @param runSeed        the seed of the seed schedule
 * @param shuffledControl a sanity ablation: rewards are shuffled across the population (seeded per iteration)
 *                       before shaping, so updates carry no signal; if such a run "improves", the gain is noise
 * @param perturbation   full rank (the paper's) or low rank (EGGROLL, several members per forward pass)
 * @param alphaSchedule  how alpha changes over the iterations (constant: the paper's)
 * @param anchorDecay    decay toward the base weights: each applied update first moves the master by
 *                       alpha x anchorDecay x (base - master), a leash against forgetting (0: none). Not in the paper
 */
public record EsConfig(int populationSize, double sigma, double alpha, FitnessShaping shaping, boolean antithetic,
                       NoiseMode noiseMode, ParameterFilter parameters, UpdateRule update, long runSeed,
                       boolean shuffledControl, Perturbation perturbation, AlphaSchedule alphaSchedule,
                       double anchorDecay) implements UpdateSettings {

    /** The largest population a run takes. */
    public static final int MAX_POPULATION = 1 << 20;

    public EsConfig {
        java.util.Objects.requireNonNull(perturbation, "perturbation");
        java.util.Objects.requireNonNull(alphaSchedule, "alphaSchedule");
        // The upper bound is far past any population a run evaluates (the paper's is 30, EGGROLL's thousands), and
        // below what the per-member bookkeeping of an iteration can hold in a JVM's memory.
        if (populationSize < 1 || populationSize > MAX_POPULATION) {
            throw new IllegalArgumentException("population size must be in [1, " + MAX_POPULATION + "], got "
                    + populationSize);
        }
        if (antithetic && populationSize % 2 != 0) {
            throw new IllegalArgumentException("antithetic sampling needs an even population size, got " + populationSize);
        }
        // Weights are of order 0.01-1: noise or steps above 1 destroy any model (and 1e308 overflows fp32 to inf).
        if (!(sigma > 0) || !(sigma <= 1)) {
            throw new IllegalArgumentException("sigma must be in (0, 1], got " + sigma);
        }
        if (!(alpha > 0) || !(alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
        }
        if (!(anchorDecay >= 0) || !(alpha * anchorDecay <= 1)) {
            throw new IllegalArgumentException("anchor decay must be >= 0 and at most 1 / alpha (it moves the weights "
                    + "by alpha x anchor-decay of their distance to the base), got " + anchorDecay);
        }
        if (perturbation instanceof Perturbation.LowRank && noiseMode == NoiseMode.SHARED_SEED) {
            throw new IllegalArgumentException("low-rank perturbations need per-tensor noise (shared-seed noise "
                    + "would give same-shaped matrices the same factors)");
        }
    }

    /** The config without anchor decay. */
    public EsConfig(int populationSize, double sigma, double alpha, FitnessShaping shaping, boolean antithetic,
                    NoiseMode noiseMode, ParameterFilter parameters, UpdateRule update, long runSeed,
                    boolean shuffledControl, Perturbation perturbation, AlphaSchedule alphaSchedule) {
        this(populationSize, sigma, alpha, shaping, antithetic, noiseMode, parameters, update, runSeed,
                shuffledControl, perturbation, alphaSchedule, 0);
    }

    /** The config with a constant alpha (the paper's). */
    public EsConfig(int populationSize, double sigma, double alpha, FitnessShaping shaping, boolean antithetic,
                    NoiseMode noiseMode, ParameterFilter parameters, UpdateRule update, long runSeed,
                    boolean shuffledControl, Perturbation perturbation) {
        this(populationSize, sigma, alpha, shaping, antithetic, noiseMode, parameters, update, runSeed,
                shuffledControl, perturbation, AlphaSchedule.CONSTANT);
    }

    /** The config with the paper's full-rank perturbation and constant alpha. */
    public EsConfig(int populationSize, double sigma, double alpha, FitnessShaping shaping, boolean antithetic,
                    NoiseMode noiseMode, ParameterFilter parameters, UpdateRule update, long runSeed,
                    boolean shuffledControl) {
        this(populationSize, sigma, alpha, shaping, antithetic, noiseMode, parameters, update, runSeed,
                shuffledControl, Perturbation.FULL);
    }

    /** The paper's defaults with the given run seed. */
    public static EsConfig paper(long runSeed) {
        return new EsConfig(30, 1e-3, 5e-4, FitnessShaping.ZSCORE, false, NoiseMode.PER_TENSOR, ParameterFilter.ALL,
                UpdateRule.PAPER, runSeed, false);
    }

    public EsConfig withPopulation(int n, double newSigma, double newAlpha) {
        return edit(b -> {
            b.populationSize = n;
            b.sigma = newSigma;
            b.alpha = newAlpha;
        });
    }

    public EsConfig withShaping(FitnessShaping s, boolean mirrored) {
        return edit(b -> {
            b.shaping = s;
            b.antithetic = mirrored;
        });
    }

    public EsConfig withNoise(NoiseMode mode, ParameterFilter filter) {
        return edit(b -> {
            b.noiseMode = mode;
            b.parameters = filter;
        });
    }

    public EsConfig withShuffledControl(boolean control) {
        return edit(b -> b.shuffledControl = control);
    }

    public EsConfig withUpdate(UpdateRule rule) {
        return edit(b -> b.update = rule);
    }

    public EsConfig withPerturbation(Perturbation p) {
        return edit(b -> b.perturbation = p);
    }

    public EsConfig withAlphaSchedule(AlphaSchedule s) {
        return edit(b -> b.alphaSchedule = s);
    }

    public EsConfig withAnchorDecay(double decay) {
        return edit(b -> b.anchorDecay = decay);
    }

    /** This config with {@code change} made to a copy of its fields (checked again by the constructor). */
    private EsConfig edit(java.util.function.Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return new EsConfig(f.populationSize, f.sigma, f.alpha, f.shaping, f.antithetic, f.noiseMode, f.parameters,
                f.update, runSeed, f.shuffledControl, f.perturbation, f.alphaSchedule, f.anchorDecay);
    }

    /** The fields a wither may change, copied from a config. */
    private static final class Fields {
        int populationSize;
        double sigma;
        double alpha;
        FitnessShaping shaping;
        boolean antithetic;
        NoiseMode noiseMode;
        ParameterFilter parameters;
        UpdateRule update;
        boolean shuffledControl;
        Perturbation perturbation;
        AlphaSchedule alphaSchedule;
        double anchorDecay;

        Fields(EsConfig c) {
            populationSize = c.populationSize;
            sigma = c.sigma;
            alpha = c.alpha;
            shaping = c.shaping;
            antithetic = c.antithetic;
            noiseMode = c.noiseMode;
            parameters = c.parameters;
            update = c.update;
            shuffledControl = c.shuffledControl;
            perturbation = c.perturbation;
            alphaSchedule = c.alphaSchedule;
            anchorDecay = c.anchorDecay;
        }
    }

    /** The step size of {@code iteration}: alpha under the {@link #alphaSchedule}. */
    @Override
    public double alphaAt(long iteration) {
        return alphaSchedule.at(alpha, iteration);
    }

    /** alpha as a run's summary states it: the value, and the decay when there is one. */
    public String alphaDescription() {
        return alphaSchedule instanceof AlphaSchedule.Cosine c
                ? alpha + " (cosine to " + c.finalAlpha() + " over " + c.iterations() + " iterations)"
                : String.valueOf(alpha);
    }

    @Override
    public SeedSchedule schedule() {
        return new SeedSchedule(runSeed);
    }

    /**
     * A SHA-256 over every hyperparameter (records print all their components, doubles exactly): two configs
     * that could produce different weights never share a hash.
     */
    public String hash() {
        // Spelled out as the record printed itself before perturbations were configurable, so that full-rank runs
        // started by earlier versions still resume; the low-rank settings and an alpha schedule are appended.
        String legacy = "EsConfig[populationSize=" + populationSize + ", sigma=" + sigma + ", alpha=" + alpha
                + ", shaping=" + shaping + ", antithetic=" + antithetic + ", noiseMode=" + noiseMode + ", parameters="
                + parameters + ", update=" + update + ", runSeed=" + runSeed + ", shuffledControl=" + shuffledControl
                + "]";
        return Sha256.of("es-config-v1|" + legacy
                + (perturbation instanceof Perturbation.FullRank ? "" : "|" + perturbation)
                + (alphaSchedule instanceof AlphaSchedule.Constant ? "" : "|" + alphaSchedule)
                + (anchorDecay == 0 ? "" : "|anchorDecay=" + anchorDecay));
    }

}
