package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankNoise;
import dev.esactors.core.es.noise.NoiseCache;
import dev.esactors.core.es.noise.NoiseSource;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import java.util.List;

/** What a part of an {@link EsReplica} works on: the replica's config and {@link ReplicaTensors}, by name. */
abstract sealed class ReplicaPart permits ReplicaPerturbation, ReplicaUpdate {

    protected final EsConfig config;
    protected final List<String> names;
    protected final List<Tensor> master;
    protected final List<Tensor> working;
    protected final boolean[] selected;
    protected final Device device;
    protected final NoiseSource noise;
    protected final LowRankNoise lowRank; // null in full-rank mode
    protected final NoiseCache cache; // null in low-rank mode
    protected final long chunk;
    protected final Tensor noiseBuffer;
    protected final Tensor sumBuffer;
    protected final MasterStaging staging;

    ReplicaPart(EsConfig config, ReplicaTensors tensors) {
        this.config = config;
        this.names = tensors.names();
        this.master = tensors.master();
        this.working = tensors.working();
        this.selected = tensors.selected();
        this.device = tensors.device();
        this.noise = tensors.noise();
        this.lowRank = tensors.lowRank();
        this.cache = tensors.cache();
        this.chunk = tensors.chunk();
        this.noiseBuffer = tensors.noiseBuffer();
        this.sumBuffer = tensors.sumBuffer();
        this.staging = tensors.staging();
    }
}
