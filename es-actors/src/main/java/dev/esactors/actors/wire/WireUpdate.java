package dev.esactors.actors.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.update.Update;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One iteration's update as it crosses the network: only the raw rewards, since the seeds and signs are a pure
 * function of the seed schedule and the coefficients a pure function of the rewards (the receiver shapes them with
 * the coordinator's own code, {@link Update#fromRewards}). Outcome rewards take few distinct values (a mean over a
 * batch of right-or-wrong answers), so they travel as a table of the distinct values and one byte per member;
 * more than 256 distinct values travel as they are.
 *
 * @param values  the distinct rewards (codes non-empty), or every member's reward (codes empty)
 * @param codes   member n's reward is values[codes[n] & 0xff]
 * @param skipped whether the journal records the update as skipped (no signal): sent rather than derived, since a
 *                journal written before updates could be skipped applied tied iterations
 * @param prompts with per-prompt shaping, every member's reward on each prompt ({@link PromptRewards}); else null
 */
public record WireUpdate(@JsonProperty("v") double[] values, @JsonProperty("c") byte[] codes,
                         @JsonProperty("s") boolean skipped, @JsonProperty("p") WireUpdate prompts) {

    @JsonCreator
    public WireUpdate {
        values = values.clone();
        codes = codes.clone();
    }

    /** The compact form of {@code update}'s rewards and whether it was skipped. */
    public static WireUpdate of(Update update) {
        WireUpdate code = of(update.rewards(), update.skipped());
        WireUpdate prompts = PromptRewards.encode(update.promptRewards());
        return prompts == null ? code : new WireUpdate(code.values, code.codes, code.skipped, prompts);
    }

    /** The compact form of {@code rewards}. */
    static WireUpdate of(double[] rewards, boolean skipped) {
        Map<Long, Integer> index = new LinkedHashMap<>();
        byte[] codes = new byte[rewards.length];
        for (int n = 0; n < rewards.length; n++) {
            Integer code = index.computeIfAbsent(Double.doubleToLongBits(rewards[n]), bits -> index.size());
            if (code > 255) {
                return new WireUpdate(rewards, new byte[0], skipped, null);
            }
            codes[n] = (byte) (int) code;
        }
        double[] values = index.keySet().stream().mapToDouble(Double::longBitsToDouble).toArray();
        return new WireUpdate(values, codes, skipped, null);
    }

    /** Every member's raw reward, in member order. */
    public double[] rewards() {
        if (codes.length == 0) {
            return values.clone();
        }
        double[] out = new double[codes.length];
        for (int n = 0; n < codes.length; n++) {
            out[n] = values[codes[n] & 0xff];
        }
        return out;
    }

    /** Iteration {@code t}'s update, as the coordinator's reducer made it from these rewards. */
    public Update update(EsConfig config, long t) {
        double[] rewards = rewards();
        return Update.fromRewards(config, t,
                config.schedule().members(t, config.populationSize(), config.antithetic()), rewards,
                PromptRewards.decode(prompts, rewards.length)).withSkipped(skipped);
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    @Override
    public byte[] codes() {
        return codes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WireUpdate r && Arrays.equals(values, r.values) && Arrays.equals(codes, r.codes)
                && skipped == r.skipped && java.util.Objects.equals(prompts, r.prompts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values) * 31 + Arrays.hashCode(codes);
    }

    @Override
    public String toString() {
        return "WireUpdate[" + (codes.length == 0 ? values.length + " raw" : values.length + " distinct of "
                + codes.length) + (skipped ? ", skipped" : "") + "]";
    }
}
