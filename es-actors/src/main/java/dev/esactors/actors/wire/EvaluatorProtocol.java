package dev.esactors.actors.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * What an evaluator is sent: work from the coordinator (member groups, evaluation chunks), the updates its node
 * lacks, and the end of the run. In its own package with the coordinator's protocol, so that the two actors know each
 * other's messages without knowing each other.
 */
public final class EvaluatorProtocol {

    private EvaluatorProtocol() {
    }

    /** Everything an evaluator is sent. */
    public sealed interface Command permits Work, CatchUp, Refused, EvalWork, UpdatePushed, Finished, Local {
    }

    /** Messages an evaluator sends itself (timers, adapters): declared beside the behaviour that handles them. */
    public non-sealed interface Local extends Command {
    }

    /**
     * Evaluate members {@code first} .. {@code first + count - 1} of {@code iteration}. Their seeds and signs are a
     * pure function of the run's seed schedule, so they need not travel. Full-rank runs hand out one member at a
     * time; low-rank runs a group of es.members-per-pass, decoded in one batch.
     *
     * @param iteration the iteration
     * @param first     the first member's index
     * @param count     members in the group
     */
    public record Work(@JsonProperty("i") long iteration, @JsonProperty("f") int first, @JsonProperty("c") int count)
            implements Command, CborSerializable {
    }

    /**
     * Updates the evaluator's node lacks, as raw rewards (see {@link WireUpdate}): the evaluator rebuilds them,
     * shares them with the node's other evaluators ({@code NodeUpdates}), applies them and asks again.
     *
     * @param from    the iteration of the first
     * @param rewards consecutive iterations' rewards
     */
    public record CatchUp(@JsonProperty("f") long from, @JsonProperty("r") List<WireUpdate> rewards)
            implements Command, CborSerializable {
        public CatchUp {
            rewards = List.copyOf(rewards);
        }
    }

    /**
     * The coordinator will not use this evaluator.
     *
     * @param reason why
     */
    public record Refused(String reason) implements Command, CborSerializable {
        @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
        public Refused {
        }
    }

    /**
     * Score chunk {@code chunk} of evaluation dataset {@code dataset} with the unperturbed weights after
     * {@code iteration} updates.
     *
     * @param iteration the weights' iteration
     * @param dataset   index into eval.datasets
     * @param chunk     chunk index
     */
    public record EvalWork(long iteration, int dataset, int chunk) implements Command, CborSerializable {
    }

    /**
     * The update just committed, pushed to one evaluator of each node that has all earlier ones: it applies it and
     * shares it with the node's other evaluators ({@code NodeUpdates}), who are given work of the next iteration
     * without asking for the update.
     *
     * @param iteration the update's iteration
     * @param rewards   its raw rewards (see {@link WireUpdate})
     */
    public record UpdatePushed(@JsonProperty("i") long iteration, @JsonProperty("r") WireUpdate rewards)
            implements Command, CborSerializable {
    }

    /** The run is over. */
    public enum Finished implements Command, CborSerializable {
        INSTANCE
    }
}
