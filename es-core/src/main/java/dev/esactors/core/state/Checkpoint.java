package dev.esactors.core.state;

import dev.esactors.core.io.SafetensorsFile;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A checkpoint read back from disk (its integrity already checked). The master weights are read when asked for:
 * all at once ({@link #master}, kept), or one tensor at a time ({@link #forEachMaster}), which is how a resume
 * copies them into a replica without holding a second fp32 model (a 1.5B-parameter replay peaked 6 GB higher).
 */
public final class Checkpoint {

    private final Path dir;
    private final long iteration;
    private final String configHash;
    private final Path weights;
    private final Map<String, Tensor> optimizer;
    private final long optimizerStep;
    private Map<String, Tensor> master;

    /**
     * @param dir           its directory
     * @param iteration     updates applied to reach it (the next iteration to run)
     * @param configHash    the run's configuration hash when it was written
     * @param weights       the safetensors file with the fp32 master weights (and optimizer state, adam.*)
     * @param optimizer     optimizer state tensors by name (empty for the plain rule)
     * @param optimizerStep the optimizer's step count
     */
    Checkpoint(Path dir, long iteration, String configHash, Path weights, Map<String, Tensor> optimizer,
               long optimizerStep) {
        this.dir = dir;
        this.iteration = iteration;
        this.configHash = configHash;
        this.weights = weights;
        this.optimizer = optimizer;
        this.optimizerStep = optimizerStep;
    }

    public Path dir() {
        return dir;
    }

    public long iteration() {
        return iteration;
    }

    public String configHash() {
        return configHash;
    }

    public Map<String, Tensor> optimizer() {
        return optimizer;
    }

    public long optimizerStep() {
        return optimizerStep;
    }

    /** The fp32 master weights by name, read on the first call and kept. */
    public synchronized Map<String, Tensor> master() {
        if (master == null) {
            Map<String, Tensor> read = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(weights)) {
                for (String name : f.tensors().keySet()) {
                    if (!isOptimizerState(name)) {
                        read.put(name, f.load(name));
                    }
                }
            }
            master = Collections.unmodifiableMap(read);
        }
        return master;
    }

    /** Names the master tensors, in file order, without reading their data. */
    public java.util.Set<String> masterNames() {
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            java.util.Set<String> names = new java.util.LinkedHashSet<>(f.tensors().keySet());
            names.removeIf(Checkpoint::isOptimizerState);
            return names;
        }
    }

    /** Hands each master tensor to {@code use}, in file order, and frees it when {@code use} returns. */
    public void forEachMaster(BiConsumer<String, Tensor> use) {
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            for (String name : f.tensors().keySet()) {
                if (!isOptimizerState(name)) {
                    try (PointerScope scope = new PointerScope()) {
                        use.accept(name, f.load(name));
                    }
                }
            }
        }
    }

    static boolean isOptimizerState(String name) {
        return name.startsWith("adam.");
    }
}
