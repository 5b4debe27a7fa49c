package dev.esactors.train;

import com.typesafe.config.ConfigFactory;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GRPO on the embedded stories260K: a short run raises the keyword reward, the same way every time. */
class GrpoRunTest {

    @TempDir
    static Path root;

    private static RunConfig config(Path dir, Map<String, Object> extra) {
        Map<String, Object> values = new HashMap<>(Map.of("method", "grpo", "run.dir", dir.toString(),
                "run.iterations", 8, "task.max-new-tokens", 24, "grpo.prompts", 4, "grpo.group-size", 8,
                "grpo.learning-rate", 1e-3));
        values.put("task.options.word", "happy");
        values.putAll(extra);
        return RunConfigLoader.parse(ConfigFactory.parseMap(values), "test config");
    }

    private static List<Double> means(List<RunEvent> events) {
        return events.stream().filter(e -> e instanceof RunEvent.IterationDone)
                .map(e -> ((RunEvent.IterationDone) e).meanReward()).toList();
    }

    @Test
    void aShortRunRaisesTheKeywordRewardAndRepeatsBitForBit() throws Exception {
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = GrpoRun.run(config(root.resolve("a"), Map.of()), events::add);
        RunEvent.RunFinished a = assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        List<Double> means = means(events);
        assertEquals(8, means.size());
        double first = (means.get(0) + means.get(1) + means.get(2)) / 3;
        double lastThree = (means.get(5) + means.get(6) + means.get(7)) / 3;
        assertTrue(lastThree > first + 0.5, "the mean reward rises: " + means);
        assertTrue(Files.isRegularFile(a.exported().resolve("model.safetensors")), "the model is exported");
        assertTrue(Files.readString(a.report()).contains("GRPO: 4 prompts x 8 completions"), "the report says how");

        RunEvent.RunFinished b = assertInstanceOf(RunEvent.RunFinished.class,
                GrpoRun.run(config(root.resolve("b"), Map.of()), e -> { }));
        assertEquals(a.masterHash(), b.masterHash(), "seeded sampling and one order of operations: the same weights");
        RunEvent.RunFinished other = assertInstanceOf(RunEvent.RunFinished.class,
                GrpoRun.run(config(root.resolve("c"), Map.of("run.iterations", 2, "es.seed", 4)), e -> { }));
        assertNotEquals(a.masterHash(), other.masterHash());
    }

    @Test
    void aKlPenaltyAndSeveralPassesRun() {
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = GrpoRun.run(config(root.resolve("kl"), Map.of("run.iterations", 2, "grpo.kl-beta", 0.04,
                "grpo.passes", 2, "grpo.advantage-scaling", "none", "grpo.loss-aggregation", "seq-mean-token-sum")),
                events::add);
        assertInstanceOf(RunEvent.RunFinished.class, last, events.toString());
        assertEquals(2, means(events).size());
    }

    @Test
    void badGrpoSettingsAreRefusedByKey() {
        for (Map.Entry<String, Object> bad : Map.<String, Object>of("grpo.group-size", 1, "grpo.temperature", 0,
                "grpo.top-p", 1.5, "grpo.learning-rate", -1, "grpo.clip-epsilon", 1, "grpo.passes", 0,
                "grpo.kl-beta", -0.1, "grpo.advantage-scaling", "mean", "grpo.loss-aggregation", "sum",
                "grpo.adam-beta2", 1).entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> config(root.resolve("bad"), Map.of(bad.getKey(), bad.getValue())), bad.toString());
            assertTrue(e.getMessage().startsWith("test config: " + bad.getKey()), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> config(root.resolve("bad"), Map.of("grpo.lr", 0.1)));
        assertTrue(unknown.getMessage().contains("unknown key 'grpo.lr'"), unknown.getMessage());
        IllegalArgumentException method = assertThrows(IllegalArgumentException.class,
                () -> config(root.resolve("bad"), Map.of("method", "ppo")));
        assertTrue(method.getMessage().contains("method") && method.getMessage().contains("es or grpo"),
                method.getMessage());
    }
}
