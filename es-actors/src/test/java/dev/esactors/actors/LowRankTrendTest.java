package dev.esactors.actors;

import com.typesafe.config.ConfigFactory;
import dev.esactors.actors.node.EsNode;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Low-rank ES learns the README's task like full-rank ES: the embedded stories260K, the keyword reward, the run
 * defaults (N=16, B=16, 20 iterations), once per perturbation mode, each with two evaluators.
 */
class LowRankTrendTest {

    @TempDir
    static Path root;

    private static double[] rewards(String mode) {
        Map<String, Object> values = new HashMap<>(Map.of(
                "run.id", "trend-" + mode,
                "run.dir", root.resolve(mode).toString(),
                "checkpoint.every", 0,
                "evaluators.local", 2,
                "es.perturbation", mode,
                "es.members-per-pass", 8));
        RunConfig config = RunConfigLoader.parse(ConfigFactory.parseMap(values), "trend test");
        List<RunEvent> events = new ArrayList<>();
        assertInstanceOf(RunEvent.RunFinished.class, EsNode.run(config, events::add), events.toString());
        return events.stream().filter(e -> e instanceof RunEvent.IterationDone)
                .mapToDouble(e -> ((RunEvent.IterationDone) e).meanReward()).toArray();
    }

    private static double mean(double[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }

    @Test
    void lowRankRaisesTheKeywordRewardAsFullRankDoes() {
        double[] full = rewards("full-rank");
        double[] low = rewards("low-rank");
        System.out.println("keyword reward per iteration, full rank: " + java.util.Arrays.toString(full));
        System.out.println("keyword reward per iteration, low rank:  " + java.util.Arrays.toString(low));
        double fullGain = mean(full, 15, 20) - mean(full, 0, 5);
        double lowGain = mean(low, 15, 20) - mean(low, 0, 5);
        assertTrue(fullGain > 0.3, "full rank learns the task (gain " + fullGain + ")");
        assertTrue(lowGain > 0.3, "low rank learns the task (gain " + lowGain + ")");
        assertTrue(lowGain > fullGain / 2 && lowGain < fullGain * 2, "the same trend: gains " + lowGain + " (low rank) "
                + "and " + fullGain + " (full rank) within a factor of two");
    }
}
