package dev.esactors.actors.wire;

import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.ServiceKey;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.esactors.core.io.Sha256;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.eval.Evaluation;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a run's coordinator is sent: evaluators ask for work and report results, coordinator nodes keep the sharded
 * entity awake. Its own signals (deadlines, evaluators gone, the reduced update) are its {@link Local} messages,
 * declared beside the behaviour that handles them.
 */
public final class CoordinatorProtocol {

    private CoordinatorProtocol() {
    }

    /** Everything a coordinator is sent. */
    public sealed interface Command permits RequestWork, MemberResults, EvalResult, Wake, Local {
    }

    /** Messages a coordinator sends itself or gets from the actors it spawns: never on the wire. */
    public non-sealed interface Local extends Command {
    }

    /** The receptionist key under which the coordinator of run {@code runId} registers. */
    public static ServiceKey<Command> key(String runId) {
        return ServiceKey.create(Command.class, "es-coordinator-" + runId);
    }

    /**
     * An evaluator asks for work.
     *
     * @param evaluator   where to send work
     * @param evaluatorId a readable name (node and index)
     * @param deviceType  cpu or cuda: a run never mixes them
     * @param applied     updates the evaluator's replica has applied
     * @param known       updates the evaluator's node has (shared by its evaluators, {@code NodeUpdates})
     * @param node        the evaluator's node (its evaluators share one catch-up)
     * @param fingerprint {@link #fingerprint} of the evaluator's run config: seeds, batches and updates are derived
     *                    from it on both sides, so a coordinator refuses evaluators of another config
     * @param kernels     the CPU kernels a CPU evaluator decodes on ({@code Torch.kernels()}); empty on CUDA
     */
    public record RequestWork(ActorRef<EvaluatorProtocol.Command> evaluator, String evaluatorId, String deviceType,
                       long applied, long known, String node, long fingerprint, String kernels)
            implements Command, CborSerializable {

        /** The same request from an evaluator whose node now knows {@code more} updates. */
        public RequestWork knowing(long more) {
            return new RequestWork(evaluator, evaluatorId, deviceType, applied, Math.max(known, more), node,
                    fingerprint, kernels);
        }
    }

    /**
     * The rewards of a work group.
     *
     * @param iteration the iteration it was evaluated for
     * @param first     the group's first member
     * @param rewards   raw rewards of members first, first + 1, ... (NaN where an evaluation failed)
     * @param from      the evaluator that evaluated it (a result from one the group was not issued to is ignored)
     * @param prompts   with per-prompt shaping, each member's reward on each prompt ({@link PromptRewards}); else null
     */
    public record MemberResults(@JsonProperty("i") long iteration, @JsonProperty("f") int first,
                         @JsonProperty("r") double[] rewards, @JsonProperty("e") ActorRef<EvaluatorProtocol.Command> from,
                         @JsonProperty("p") WireUpdate prompts) implements Command, CborSerializable {
        @JsonCreator
        public MemberResults {
            rewards = rewards.clone();
        }

        /** Results without per-prompt rewards (every shaping but per-prompt). */
        public MemberResults(long iteration, int first, double[] rewards, ActorRef<EvaluatorProtocol.Command> from) {
            this(iteration, first, rewards, from, null);
        }

        /** The members' rewards on each prompt (rows empty where none were sent; no rows without any). */
        public double[][] promptRows() {
            return PromptRewards.decode(prompts, rewards.length);
        }

        @Override
        public double[] rewards() {
            return rewards.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MemberResults r && iteration == r.iteration && first == r.first
                    && Arrays.equals(rewards, r.rewards) && Objects.equals(from, r.from)
                    && Objects.equals(prompts, r.prompts);
        }

        @Override
        public int hashCode() {
            return Objects.hash(iteration, first, Arrays.hashCode(rewards), from);
        }

        @Override
        public String toString() {
            return "MemberResults[iteration=" + iteration + ", first=" + first + ", rewards="
                    + Arrays.toString(rewards) + ", from=" + from + (prompts == null ? "" : ", prompts=" + prompts)
                    + "]";
        }
    }

    /**
     * The result of one chunk of an evaluation round.
     *
     * @param iteration   the weights it was scored with (updates applied)
     * @param dataset     index into eval.datasets
     * @param chunk       chunk index
     * @param tally       the chunk's sums (empty if it failed)
     * @param error       why it failed, or empty
     * @param evaluatorId who scored it
     * @param from        and its reference (a result from one the chunk was not issued to is ignored)
     */
    public record EvalResult(long iteration, int dataset, int chunk, Evaluation.Tally tally, String error,
                      String evaluatorId, ActorRef<EvaluatorProtocol.Command> from) implements Command, CborSerializable {
    }

    /** Starts the sharded coordinator entity, or keeps it alive: coordinator nodes send it every few seconds. */
    public enum Wake implements Command, CborSerializable {
        INSTANCE
    }

    /**
     * 64 bits of the hash of what makes a run's results: the ES config, the task and the model, and how evaluation
     * rounds are cut and sampled (an evaluator with another eval.batch or eval.samples would score other chunks).
     */
    public static long fingerprint(RunConfig config) {
        return ByteBuffer.wrap(HexFormat.of().parseHex(
                Sha256.of(config.es().hash() + "|" + config.identity() + "|eval batch " + config.eval().batch() + " "
                        + config.eval().sampling()).substring(0, 16))).getLong();
    }
}
