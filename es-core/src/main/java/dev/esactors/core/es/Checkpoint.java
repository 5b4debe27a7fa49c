package dev.esactors.core.es;

import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Map;

/**
 * A checkpoint read back from disk.
 *
 * @param dir           its directory
 * @param iteration     updates applied to reach it (the next iteration to run)
 * @param configHash    the run's configuration hash when it was written
 * @param master        the fp32 master weights by name
 * @param optimizer     optimizer state tensors by name (empty for the plain rule)
 * @param optimizerStep the optimizer's step count
 */
public record Checkpoint(Path dir, long iteration, String configHash, Map<String, Tensor> master,
                         Map<String, Tensor> optimizer, long optimizerStep) {
}
