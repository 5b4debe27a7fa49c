package dev.esactors.actors;

import dev.esactors.actors.node.EsNode;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An actor that cannot start makes the run fail with its reason, instead of leaving it waiting forever. */
class FailedStartTest {

    @Test
    void anEvaluatorThatCannotBeBuiltEndsTheRunNamingWhy(@TempDir Path dir) throws Exception {
        // The model without its tokenizer: the coordinator opens the run, the evaluator cannot build its fitness.
        Path model = Files.createDirectories(dir.resolve("no-tokenizer"));
        for (String file : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(EmbeddedModel.directory().resolve(file), model.resolve(file));
        }
        RunConfig config = TestRuns.small(dir.resolve("run"), 1, Map.of("model.path", model.toString()));
        List<RunEvent> events = new ArrayList<>();
        RunEvent last = CompletableFuture.supplyAsync(() -> EsNode.run(config, events::add))
                .get(2, TimeUnit.MINUTES); // before the fix: never
        RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, last, events.toString());
        assertTrue(failed.reason().startsWith("evaluator-0 failed: ") && failed.reason().contains("tokenizer"),
                failed.reason());
    }
}
