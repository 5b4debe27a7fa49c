package dev.esactors.train.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.train.EvaluationSchedule;
import dev.esactors.train.config.BaseModel;
import dev.esactors.train.config.EvalSampling;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.EvalDatasets;
import dev.esactors.train.eval.Evaluation;
import org.bytedeco.javacpp.PointerScope;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What each finalist did to the model ({@link StudyFinals}): for every run of an arm's chosen setting (screening and
 * confirmation seeds) and for the base model, pass@1..K of answers sampled on the first test items, with the greedy
 * accuracy on the same items; beside them the KL to the base model and the weight drift from the run's last held-out
 * round. Does GRPO sharpen the mode and ES widen what the model can solve? Each is measured once and kept in
 * {@value #FILE} of the run's directory (the base model's in the study's), so a resumed study does not sample again.
 */
final class StudyDiagnostics {

    /** A run's diagnostics, in its directory. */
    static final String FILE = "diagnostics.json";
    /** The base model's, in the study's directory. */
    static final String BASE = "base-diagnostics.json";
    /** The sampling seed: the same answers for every model's batch, whichever run it is. */
    private static final long SEED = 0;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One model's diagnostics.
     *
     * @param items       test items sampled (the first ones)
     * @param samples     answers sampled per item
     * @param temperature their temperature
     * @param greedy      greedy accuracy on those items
     * @param passAtK     element k - 1: pass@k of the sampled answers
     * @param kl          the mean per-token KL to the base model at the run's last held-out round (0 for the base
     *                    model; NaN when the run measured none)
     * @param drift       the relative weight drift from the base model per tensor group at that round (empty for the
     *                    base model)
     */
    record Diagnosis(int items, int samples, double temperature, double greedy, double[] passAtK, double kl,
                     Map<String, Double> drift) {

        Diagnosis {
            passAtK = passAtK.clone();
            drift = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(drift));
        }

        /** Whether it was measured as {@code finals} asks. */
        boolean measuredAs(StudyFinals finals) {
            return items > 0 && samples == finals.samples() && Double.compare(temperature, finals.temperature()) == 0
                    && passAtK.length == samples;
        }

        double passAt(int k) {
            return passAtK[k - 1];
        }
    }

    private StudyDiagnostics() {
    }

    /** Measures what the runs of each arm's {@code chosen} setting and the base model lack; notes to {@code notes}. */
    static void measure(StudyPlan plan, Map<String, String> chosen, Consumer<String> notes) {
        StudyFinals finals = plan.finals();
        StudyPlan.PlannedRun first = plan.runs().get(0);
        Path base = plan.dir().resolve(BASE);
        if (read(base).filter(d -> d.measuredAs(finals)).isEmpty()) {
            notes.accept("diagnostics: the base model, " + finals.samples() + " samples on " + finals.items()
                    + " test items");
            write(base, measure(first.config(), BaseModel.dir(first.config()), finals, 0, Map.of()));
        }
        for (StudyPlan.PlannedRun run : plan.runs()) {
            Path dir = run.config().dir();
            if (!run.stage().compared() || !run.value().equals(chosen.get(run.arm()))
                    || StudyResult.read(dir).isEmpty()
                    || read(dir.resolve(FILE)).filter(d -> d.measuredAs(finals)).isPresent()) {
                continue;
            }
            notes.accept("diagnostics: " + run.name());
            String[] last = lastRound(dir);
            Map<String, Double> drift = new LinkedHashMap<>();
            double kl = Double.NaN;
            if (last.length > 6) {
                kl = Double.parseDouble(last[6]);
                for (int i = 7; i < last.length; i++) {
                    String[] kv = last[i].split("=", 2);
                    if (kv.length == 2 && !kv[0].startsWith(EvaluationSchedule.EXTRA)) {
                        drift.put(kv[0], Double.parseDouble(kv[1]));
                    }
                }
            }
            write(dir.resolve(FILE), measure(run.config(), dir.resolve("export"), finals, kl, drift));
        }
    }

    /** The diagnostics of the model in {@code model}, scored as {@code config}'s test set (its second dataset). */
    private static Diagnosis measure(RunConfig config, Path model, StudyFinals finals, double kl,
                                     Map<String, Double> drift) {
        // The model and the decode's tensors are freed on return: a study diagnoses dozens of them in one process.
        try (PointerScope scope = new PointerScope(); EvalDatasets data = new EvalDatasets(config)) {
            Decoder decoder = ModelLoader.load(model, BaseModel.coordinatorDevice(config),
                    DType.parseWorking(config.model().dtype()));
            Evaluation.Summary s = data.score(decoder, 1, finals.items(), new EvalSampling(finals.samples(),
                    finals.temperature(), 1.0, SEED));
            return new Diagnosis(s.items(), finals.samples(), finals.temperature(), s.accuracy(),
                    s.passAtK().stream().mapToDouble(Double::doubleValue).toArray(), kl, drift);
        }
    }

    /** The fields of the last line of the run's held-out scores (none when it kept none). */
    private static String[] lastRound(Path dir) {
        Path file = dir.resolve(EvaluationSchedule.HELD_OUT);
        try {
            List<String> lines = Files.isRegularFile(file) ? Files.readAllLines(file, StandardCharsets.UTF_8)
                    .stream().filter(l -> !l.isBlank()).toList() : List.of();
            return lines.isEmpty() ? new String[0] : lines.get(lines.size() - 1).trim().split(" ");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The diagnostics of the run in {@code runDir}, or the base model's in the study directory. */
    static Optional<Diagnosis> ofRun(Path runDir) {
        return read(runDir.resolve(FILE));
    }

    static Optional<Diagnosis> ofBase(Path studyDir) {
        return read(studyDir.resolve(BASE));
    }

    private static Optional<Diagnosis> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            double[] pass = new double[n.path("passAtK").size()];
            for (int i = 0; i < pass.length; i++) {
                pass[i] = n.path("passAtK").get(i).asDouble();
            }
            Map<String, Double> drift = new LinkedHashMap<>();
            n.path("drift").fields().forEachRemaining(e -> drift.put(e.getKey(), e.getValue().asDouble()));
            JsonNode kl = n.path("kl");
            return Optional.of(new Diagnosis(n.path("items").asInt(), n.path("samples").asInt(),
                    n.path("temperature").asDouble(), n.path("greedy").asDouble(), pass,
                    kl.isNumber() ? kl.asDouble() : Double.NaN, drift));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // measured again
        }
    }

    private static void write(Path file, Diagnosis d) {
        ObjectNode n = JSON.createObjectNode().put("items", d.items()).put("samples", d.samples())
                .put("temperature", d.temperature()).put("greedy", d.greedy());
        if (Double.isFinite(d.kl())) {
            n.put("kl", d.kl());
        }
        ObjectNode drift = n.putObject("drift");
        d.drift().forEach(drift::put);
        ArrayNode pass = n.putArray("passAtK");
        for (double p : d.passAtK()) {
            pass.add(p);
        }
        try {
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The mean of {@code runs}' diagnoses (measured alike), figure by figure. */
    static Diagnosis mean(List<Diagnosis> runs) {
        Diagnosis first = runs.get(0);
        double[] pass = new double[first.samples()];
        Map<String, Double> drift = new LinkedHashMap<>();
        double greedy = 0;
        double kl = 0;
        for (Diagnosis d : runs) {
            greedy += d.greedy() / runs.size();
            kl += d.kl() / runs.size(); // NaN when any run measured none
            for (int k = 0; k < pass.length; k++) {
                pass[k] += d.passAtK()[k] / runs.size();
            }
            d.drift().forEach((g, v) -> drift.merge(g, v / runs.size(), Double::sum));
        }
        return new Diagnosis(first.items(), first.samples(), first.temperature(), greedy, pass, kl, drift);
    }

    /** How a diagnosis reads in a table row: greedy, pass@1, pass@K, KL, drift of attention and MLP weights. */
    static List<String> cells(String name, Diagnosis d) {
        return List.of(name, String.format(Locale.ROOT, "%.1f%%", 100 * d.greedy()),
                String.format(Locale.ROOT, "%.1f%%", 100 * d.passAt(1)),
                String.format(Locale.ROOT, "%.1f%%", 100 * d.passAt(d.samples())),
                Double.isNaN(d.kl()) ? "-" : String.format(Locale.ROOT, "%.4f", d.kl()), drift(d, "attention"),
                drift(d, "mlp"));
    }

    private static String drift(Diagnosis d, String group) {
        Double v = d.drift().get(group);
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v); // as the run report shows it
    }
}
