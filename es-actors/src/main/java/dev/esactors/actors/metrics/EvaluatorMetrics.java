package dev.esactors.actors.metrics;

import dev.esactors.core.torch.DeviceMemory;
import dev.esactors.core.torch.DeviceSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/** One Evaluator's work: decode time, tokens, members, and the memory in use on its device. */
public final class EvaluatorMetrics {

    private final Timer decodeSeconds;
    private final Timer perturbSeconds;
    private final Counter tokens;
    private final Counter members;
    private final Counter evalItems;
    private final Timer evalSeconds;
    private volatile double tokensPerSecond = Double.NaN;

    /** Meters tagged with the evaluator's id and device. */
    public EvaluatorMetrics(MeterRegistry registry, String evaluatorId, DeviceSpec device) {
        Tags tags = Tags.of("evaluator", evaluatorId, "device", device.toString());
        decodeSeconds = Timer.builder("es_evaluator_decode").tags(tags)
                .description("time to decode and score one member's batch").register(registry);
        perturbSeconds = Timer.builder("es_evaluator_perturb").tags(tags)
                .description("time to perturb and restore the replica for one member").register(registry);
        tokens = Counter.builder("es_tokens_generated").tags(tags).description("tokens generated").register(registry);
        members = Counter.builder("es_evaluator_members").tags(tags).description("members evaluated")
                .register(registry);
        evalItems = Counter.builder("es_evaluator_eval_items").tags(tags)
                .description("evaluation items scored (held-out, base and final rounds)").register(registry);
        evalSeconds = Timer.builder("es_evaluator_eval").tags(tags).description("time to score one evaluation chunk")
                .register(registry);
        Gauge.builder("es_evaluator_tokens_per_second", this, m -> m.tokensPerSecond).strongReference(true)
                .tags(tags)
                .description("decode throughput of the last member").register(registry);
        Gauge.builder("es_device_memory_bytes", () -> DeviceMemory.bytesInUse(device)).tags(tags)
                .description("memory in use on the device (CUDA allocator bytes; on the CPU the resident set)")
                .baseUnit("bytes").register(registry);
    }

    /** Records one evaluation chunk of {@code items} items. */
    public void evaluationChunk(long nanos, int items, long generated) {
        evalSeconds.record(Duration.ofNanos(nanos));
        evalItems.increment(items);
        tokens.increment(generated);
    }

    /** Records one member: {@code decodeNanos} decoding and scoring {@code generated} tokens. */
    public void member(long perturbNanos, long decodeNanos, long generated) {
        perturbSeconds.record(Duration.ofNanos(perturbNanos));
        decodeSeconds.record(Duration.ofNanos(decodeNanos));
        tokens.increment(generated);
        members.increment();
        tokensPerSecond = generated / Math.max(decodeNanos / 1e9, 1e-9);
    }
}
