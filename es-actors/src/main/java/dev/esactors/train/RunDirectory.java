package dev.esactors.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.state.RunManifest;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.ModelFit;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;
import dev.esactors.train.eval.TrainTestSplit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A run's directory: checked and created before a method opens its durable state there, its saved config
 * (run.conf), the resumed ES state, the base model's scores.
 */
public final class RunDirectory {

    private RunDirectory() {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The run file as written, saved in the run directory: what --resume reads. */
    public static final String RUN_FILE = "run.conf";

    /** Creates or resumes the run in {@code config.dir()}; resume messages go to {@code notes}. */
    public static EsRun open(RunConfig config, Consumer<String> notes) {
        return open(config, baseModel(config), notes);
    }

    /** {@link #open(RunConfig, Consumer)} over {@code model}, a fresh {@link #baseModel} whose replica it trains. */
    public static EsRun open(RunConfig config, EsModel model, Consumer<String> notes) {
        prepare(config);
        EsRun run = new EsRun(model.replica(), config.dir(), config.identity(), config::shown, config.checkpoint().every(),
                config.checkpoint().keep(), notes);
        saveRunFile(config); // only once the directory accepted this config
        return run;
    }

    /**
     * Checks what a run reads before it trains (its prompts fit the model, no training item is an evaluation item)
     * and creates its directory.
     */
    static void prepare(RunConfig config) {
        ModelFit.check(config);
        TrainTestSplit.check(config);
        try {
            Files.createDirectories(config.dir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + config.dir(), e);
        }
    }

    /**
     * Refuses {@code dir} when it already holds a run of either method (its manifest, journal or saved run file):
     * only a resume may continue one, and one method's run never silently takes over another's.
     */
    public static void requireNoRun(Path dir) {
        for (String file : List.of(RunManifest.FILE, "journal.jsonl", RUN_FILE)) {
            if (Files.exists(dir.resolve(file))) {
                throw new IllegalArgumentException("run directory " + dir + " already holds a run; continue it with "
                        + "--resume " + dir + " or choose another run.dir");
            }
        }
    }

    /**
     * Saves the run file as written (substitutions unresolved) as run.conf, which --resume reads. Called once the
     * run directory accepted the config, so that a refused resume leaves the saved run file as it was.
     */
    public static void saveRunFile(RunConfig config) {
        AtomicFiles.write(config.dir().resolve(RUN_FILE), config.source().hocon().getBytes(StandardCharsets.UTF_8));
    }

    /** The run's base weights as its coordinator holds them (fp32 master, on the coordinator's device). */
    public static EsModel baseModel(RunConfig config) {
        return BaseModel.load(config, BaseModel.coordinatorDevice(config));
    }

    private static final String BASE_EVALUATION = "eval-base.json";

    /**
     * The base model's summaries on eval.datasets, saved when the run measured them before its first update
     * (a resumed run cannot measure them on its evaluators any more); null if not saved. A file from another set
     * of datasets is ignored.
     */
    public static List<Evaluation.Summary> readBaseEvaluation(RunConfig config) {
        Path file = config.dir().resolve(BASE_EVALUATION);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (!root.path("datasets").toString().equals(JSON.valueToTree(datasetNames(config)).toString())
                    || !root.path("sampling").asText("greedy").equals(config.eval().sampling().describe())) {
                return null;
            }
            List<Evaluation.Summary> out = new ArrayList<>();
            for (JsonNode n : root.path("summaries")) {
                List<Double> passAtK = new ArrayList<>();
                n.path("passAtK").forEach(p -> passAtK.add(p.asDouble()));
                out.add(new Evaluation.Summary(n.path("model").asText(), n.path("items").asInt(),
                        n.path("accuracy").asDouble(), n.path("meanReward").asDouble(), n.path("formatRate").asDouble(),
                        n.path("tokensPerSecond").asDouble(), n.path("overContext").asInt(), n.path("samples").asInt(),
                        n.path("sampleAccuracy").asDouble(), n.path("majority").asDouble(Double.NaN), passAtK));
            }
            return out.size() == config.eval().datasets().size() + config.eval().extra().size() ? out : null;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable: measured again (locally) at the end
        }
    }

    /** Saves the base model's summaries (see {@link #readBaseEvaluation}). */
    public static void writeBaseEvaluation(RunConfig config, List<Evaluation.Summary> summaries) {
        ObjectNode root = JSON.createObjectNode();
        root.set("datasets", JSON.valueToTree(datasetNames(config)));
        root.put("sampling", config.eval().sampling().describe());
        ArrayNode list = root.putArray("summaries");
        for (Evaluation.Summary s : summaries) {
            ObjectNode n = list.addObject().put("model", s.model()).put("items", s.items())
                    .put("accuracy", s.accuracy()).put("meanReward", s.meanReward()).put("formatRate", s.formatRate())
                    .put("tokensPerSecond", s.tokensPerSecond()).put("overContext", s.overContext())
                    .put("samples", s.samples()).put("sampleAccuracy", s.sampleAccuracy());
            if (Double.isFinite(s.majority())) {
                n.put("majority", s.majority()); // NaN when the task's answers are not voted on: not JSON
            }
            n.set("passAtK", JSON.valueToTree(s.passAtK()));
        }
        try {
            AtomicFiles.write(config.dir().resolve(BASE_EVALUATION), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> datasetNames(RunConfig config) {
        List<String> names = new ArrayList<>(config.eval().datasets().stream()
                .map(p -> p.toAbsolutePath().normalize().toString()).toList());
        config.eval().extra().forEach(e -> names.add(e.task() + " " + e.options() + " "
                + e.dataset().toAbsolutePath().normalize()));
        return names;
    }
}
