package dev.esactors.core.es;

import dev.esactors.core.es.noise.LowRankNoise;
import dev.esactors.core.es.noise.NoiseCache;
import dev.esactors.core.es.noise.NoiseSource;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import java.util.List;

/**
 * What the parts of an {@link EsReplica} share: the parameters' names in layout order, their fp32 masters and
 * working copies, which are perturbed and updated, their device, and the noise they are perturbed with: its source,
 * the low-rank factors (null at full rank), the members' kept noise (null at low rank), the chunk length of full-rank
 * draws, and two flat float32 scratch buffers (a chunk of noise, and a chunk of a sum; at low rank, the largest
 * tensor, since a low-rank perturbation is formed whole), where the fp32 state beside the master (the anchor,
 * Adam's moments) is allocated, and how that state reaches the device when it lives elsewhere.
 */
record ReplicaTensors(List<String> names, List<Tensor> master, List<Tensor> working, boolean[] selected, Device device,
                      NoiseSource noise, LowRankNoise lowRank, NoiseCache cache, long chunk, Tensor noiseBuffer,
                      Tensor sumBuffer, MasterMemory memory, MasterStaging staging) {
}
