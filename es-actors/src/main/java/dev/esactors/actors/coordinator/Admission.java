package dev.esactors.actors.coordinator;

import dev.esactors.actors.wire.CoordinatorProtocol.RequestWork;
import dev.esactors.train.config.RunConfig;

/** Which evaluators a coordinator accepts: same device type, same run configuration, not ahead of the run. */
final class Admission {

    private Admission() {
    }

    /**
     * Why the coordinator of {@code config} (with {@code fingerprint}, at iteration {@code t}) will not use the
     * evaluator asking with {@code request}, or null.
     */
    static String refusal(RunConfig config, long fingerprint, RequestWork request, long t) {
        String device = config.model().device();
        if (!request.deviceType().equals(device)) {
            return "run " + config.id() + " uses device type " + device + "; evaluator " + request.evaluatorId()
                    + " is " + request.deviceType() + " (CPU and CUDA noise differ, so a run never mixes them)";
        }
        if (request.fingerprint() != fingerprint) {
            return "evaluator " + request.evaluatorId() + " runs another configuration of run " + config.id()
                    + " (its es, task, model or eval settings differ from the coordinator's): start every node with "
                    + "the same run file";
        }
        if (request.applied() > t) {
            return "evaluator " + request.evaluatorId() + " has applied " + request.applied() + " updates but the run "
                    + "is at " + t + ": it belongs to another run state";
        }
        return null;
    }
}
