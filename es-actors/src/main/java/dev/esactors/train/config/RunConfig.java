package dev.esactors.train.config;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.MasterMemory;
import dev.esactors.core.rl.GrpoSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A whole run, as one HOCON file describes it: ES hyperparameters, model, task, checkpointing, evaluators and
 * cluster. Built by {@link RunConfigLoader}, which validates every key.
 *
 * @param run            which run, where, and how long
 * @param model          the model
 * @param task           the task
 * @param es             the ES hyperparameters
 * @param checkpoint     when checkpoints are written and how many are kept
 * @param localEvaluators evaluators started in this JVM
 * @param cluster        cluster settings
 * @param eval           what the run is evaluated on, when, and which weights it ends with
 * @param metrics        the node's Prometheus endpoint
 * @param method         how the run trains: ES, or GRPO (for comparison)
 * @param grpo           the GRPO settings (used when {@code method} is GRPO)
 * @param source         the run file as written, for run.conf, and the values it took from the environment
 */
public record RunConfig(Run run, Model model, TaskSpec task, EsConfig es, Checkpointing checkpoint, int localEvaluators,
                        Cluster cluster, Eval eval, Metrics metrics, Method method, GrpoSettings grpo, Source source) {

    /**
     * The run block (its seed and control are the ES block's too, {@link #runSeed}, {@link #shuffledControl}).
     *
     * @param id             the run id
     * @param dir            the run directory
     * @param iterations     total iterations (ES) or steps (GRPO)
     * @param tokenBudget    tokens to generate for training, after which the run ends at the next iteration's
     *                       boundary (0: none; iterations stays the upper bound). Single-process runs only
     * @param memberDeadline time after which an unanswered member is issued again
     * @param coreSeconds    CPU time of the run's process for training, after which it ends at the next iteration's
     *                       boundary (0: none; iterations stays the upper bound). Single-process runs only
     */
    public record Run(String id, Path dir, int iterations, long tokenBudget, Duration memberDeadline,
                      double coreSeconds) {
    }

    /** The run id (run.id). */
    public String id() {
        return run.id();
    }

    /** The run directory (run.dir). */
    public Path dir() {
        return run.dir();
    }

    /** Iterations or steps the run takes at most (run.iterations). */
    public int iterations() {
        return run.iterations();
    }

    /**
     * The checkpoint block.
     *
     * @param every iterations between checkpoints (0: never; a run always writes its last)
     * @param keep  checkpoints kept
     */
    public record Checkpointing(int every, int keep) {
    }

    /**
     * The eval block: what the run is evaluated on, when, and which weights it ends with.
     *
     * @param datasets     datasets scored with the base and the final model at the end
     * @param batch        prompts per batch in that evaluation
     * @param every        iterations between held-out evaluations during the run (0: only at the end)
     * @param validation   the dataset those evaluations score and best/ is chosen on, or null: the first of
     *                     {@code datasets}
     * @param finalWeights which weights the final table scores and export/ holds
     * @param sampling     sampled answers that every evaluation round scores besides the greedy one
     * @param klPrompts    held-out prompts on which each held-out round measures the KL to the base model (0: none)
     * @param extra        datasets of other tasks scored in every evaluation round (a prior-task suite)
     */
    public record Eval(List<Path> datasets, int batch, int every, Path validation, FinalWeights finalWeights,
                       EvalSampling sampling, int klPrompts, List<ExtraEval> extra) {
        public Eval {
            datasets = List.copyOf(datasets);
            extra = List.copyOf(extra);
        }
    }

    /**
     * What a run file said, kept apart from what it resolved to.
     *
     * @param hocon             the whole configuration as HOCON text, with its ${VAR} substitutions unresolved
     *                          (saved in the run directory as run.conf, for --resume)
     * @param environmentValues the values that substitutions took from the environment: they may be secrets, so
     *                          they never appear in clear in anything the run writes ({@link #shown})
     * @param notes             what the user should know about the file as read: old key names taken for new ones
     */
    public record Source(String hocon, Set<String> environmentValues, List<String> notes) {
        public Source {
            environmentValues = Set.copyOf(environmentValues);
            notes = List.copyOf(notes);
        }
    }

    /**
     * {@code text} (a description of this run for run.json, a report, a log line) with every value that came from
     * the environment replaced by a marker. The config hash still covers the real values, so a resume under other
     * environment values is refused as a different run.
     */
    public String shown(String text) {
        List<String> values = new ArrayList<>(source.environmentValues());
        values.sort(Comparator.comparingInt(String::length).reversed()); // a value inside another one goes last
        for (String value : values) {
            if (!value.isEmpty()) {
                text = text.replace(value, "[from the environment]");
            }
        }
        return text;
    }

    /**
     * A dataset of another task that every evaluation round scores besides the run's own (eval.extra): a prior-task
     * suite, to see whether training on one task costs another.
     *
     * @param task         task name
     * @param options      task options
     * @param dataset      the dataset file
     * @param maxNewTokens tokens generated per prompt
     * @param template     chat template name
     * @param system       system message
     */
    public record ExtraEval(String task, Map<String, String> options, Path dataset, int maxNewTokens,
                            String template, String system) {
        public ExtraEval {
            options = Collections.unmodifiableMap(new TreeMap<>(options));
        }

        /** How tables name it: the task and the file. */
        public String label() {
            return task + ": " + dataset.getFileName();
        }
    }

    /** How a run trains. */
    public enum Method {
        /** Evolution Strategies: the es block, on the actors or in one thread */
        ES,
        /** GRPO: gradient reinforcement learning in one process, the grpo block */
        GRPO
    }

    /** The weights a run ends with: its last iterate, or the one that scored best on the validation dataset. */
    public enum FinalWeights {
        LAST,
        /** chosen on eval.validation, never on a dataset of the final table (that would bias its scores) */
        BEST
    }

    /**
     * @param path   the model directory, or null for the embedded stories260K
     * @param dtype  working dtype name
     * @param device device type: cpu or cuda
     * @param noiseCache bytes a replica may keep members' noise in between perturbation and update, or
     *                   {@link dev.esactors.core.es.EsReplica#NOISE_CACHE_DEFAULT}; speed and memory only, so not
     *                   part of the run's identity
     * @param master     where each ES replica's fp32 master (with its anchor and Adam's moments) lives: in memory,
     *                   or in a memory-mapped file; memory and speed only, so not part of the run's identity either
     */
    public record Model(Path path, String dtype, String device, long noiseCache, MasterMemory master) {
    }

    /**
     * @param name         task name
     * @param options      task options
     * @param dataset      dataset file, or null for the task's built-in items
     * @param batch        prompts per evaluation
     * @param maxNewTokens tokens generated per prompt
     * @param template     chat template name
     * @param system       system message
     */
    public record TaskSpec(String name, Map<String, String> options, Path dataset, int batch, int maxNewTokens,
                           String template, String system) {
        public TaskSpec {
            // Sorted: the options are part of the run's identity string and so of its config hash, and Map.copyOf
            // iterates in an order that changes from one JVM to the next (a resumed run would refuse its own
            // checkpoints).
            options = Collections.unmodifiableMap(new TreeMap<>(options));
        }
    }

    /**
     * @param role      standalone, coordinator or evaluator
     * @param host      this node's address as other nodes reach it (Akka's canonical hostname)
     * @param port      port (0: any)
     * @param seedNodes seed node addresses
     * @param bindHost  the interface to listen on, when it differs from host (e.g. 0.0.0.0 in a pod); empty: host
     * @param coordinatorWait how long an evaluator node waits after the last coordinator node left before it
     *                        exits (so that it is restarted into the replacement's cluster); zero: forever
     * @param tls       how nodes authenticate each other
     */
    public record Cluster(String role, String host, int port, List<String> seedNodes, String bindHost,
                          Duration coordinatorWait, Tls tls) {
        public Cluster {
            seedNodes = List.copyOf(seedNodes);
        }

        public boolean standalone() {
            return role.equals("standalone");
        }
    }

    /**
     * Artery over TLS with mutual authentication.
     *
     * @param enabled            whether the cluster's nodes talk TLS and require each other's certificates
     * @param keyStore           this node's key and certificate chain (PKCS12 or JKS)
     * @param trustStore         the CA certificates a peer's certificate must chain to
     * @param keyStorePassword   where the key store's password is: "env:VAR" or "file:PATH"
     * @param trustStorePassword where the trust store's password is: "env:VAR" or "file:PATH"
     */
    public record Tls(boolean enabled, Path keyStore, Path trustStore, String keyStorePassword,
                      String trustStorePassword) {
    }

    /**
     * @param enabled whether this node serves /metrics and /healthz
     * @param host    bind address
     * @param port    port (0: any free port, printed at start)
     * @param linger  how long the endpoint stays up after the run ends, so that the last values get scraped
     */
    public record Metrics(boolean enabled, String host, int port, Duration linger) {
    }

    /** The run's seed (run.seed): ES's seed schedule and GRPO's sampling both derive from it. */
    public long runSeed() {
        return es.runSeed(); // the ES config carries it too, since its hash (every ES checkpoint's) covers it
    }

    /** run.control = shuffled-rewards: a control run that learns from rewards shuffled across the step's samples. */
    public boolean shuffledControl() {
        return es.shuffledControl();
    }

    /** What defines the run's results besides the ES config (part of the config hash checkpoints carry). */
    public String identity() {
        // ES runs keep the identity they always had (their run directories stay resumable); GRPO adds its settings.
        return "model=" + (model.path() == null ? "embedded" : model.path().toAbsolutePath().normalize())
                + " dtype=" + model.dtype() + " device=" + model.device() + " task=" + task
                + (method == Method.GRPO ? " method=grpo " + grpo : "");
    }
}
