package dev.esactors.actors.coordinator;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which CPU kernels the run's evaluators decode on ({@code Torch.kernels()}: LibTorch's level and the OpenBLAS core
 * type). Evaluators on other kernels can round a product differently, and where that flips a greedy token a member's
 * reward depends on which evaluator evaluated it: the run then no longer repeats bit for bit when work moves between
 * them (a node killed, a deadline missed). That is allowed, not refused (a cluster of mixed machines still trains),
 * but named once per new set of kernels.
 */
final class KernelMix {

    private final Map<String, String> firstEvaluator = new LinkedHashMap<>(); // kernels -> the first evaluator on them

    /**
     * A warning when {@code evaluatorId}'s {@code kernels} are new and other kernels were seen before it; null
     * otherwise, and for evaluators that do not name theirs (CUDA ones: their GPU decides).
     */
    String joined(String evaluatorId, String kernels) {
        if (kernels == null || kernels.isEmpty() || firstEvaluator.containsKey(kernels)) {
            return null;
        }
        Map.Entry<String, String> first = firstEvaluator.isEmpty() ? null
                : firstEvaluator.entrySet().iterator().next();
        firstEvaluator.put(kernels, evaluatorId);
        if (first == null) {
            return null;
        }
        return "evaluator " + evaluatorId + " runs other CPU kernels (" + kernels + ") than evaluator "
                + first.getValue() + " (" + first.getKey() + "): a member's reward may then depend on which of them "
                + "evaluated it, so this run may not repeat bit for bit; give every node the same OPENBLAS_CORETYPE "
                + "(docs/operations.md)";
    }
}
