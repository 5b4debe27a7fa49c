package dev.esactors.core.es;

import dev.esactors.core.es.noise.NoiseCache;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.ModelConfig;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.ParameterLayout;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.Scopes;
import dev.esactors.core.torch.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder wired for ES: the working model (in F32, BF16 or F16) that decodes, and the replica that perturbs
 * and updates it from an fp32 master.
 *
 * @param decoder the working model, whose parameters the replica perturbs in place
 * @param replica its ES replica
 */
public record EsModel(Decoder decoder, EsReplica replica) {

    /**
     * Takes over {@code fp32} (a model loaded in F32: its parameters become the master) and builds a separate
     * working copy in {@code working}. Loading in F32 first keeps the master at full precision even when the
     * model computes in BF16.
     */
    public static EsModel create(EsConfig config, Decoder fp32, DType working) {
        return create(config, fp32, working, NoiseCache.AUTO);
    }

    /**
     * {@link #create(EsConfig, Decoder, DType)} with {@code noiseCacheBytes} of memory for members' noise between
     * perturbation and update (-1: the default; see {@link EsReplica#EsReplica(EsConfig, Map, Map, long)}).
     */
    public static EsModel create(EsConfig config, Decoder fp32, DType working, long noiseCacheBytes) {
        if (fp32.dtype() != DType.F32) {
            throw new IllegalArgumentException("the master must come from an F32 model, got " + fp32.dtype());
        }
        Map<String, Tensor> copies = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : fp32.parameters().entrySet()) {
            try (PointerScope scope = new PointerScope()) {
                // A converted copy is already a tensor of its own; only an F32 working copy needs a clone. The
                // conversion's intermediate, left to the garbage collector, added the model's size to the peak.
                Tensor t = e.getValue();
                Tensor copy = working == DType.F32 ? t.clone() : t.to(working.scalarType());
                copies.put(e.getKey(), Scopes.keep(scope, copy)); // the working decoder owns it
            }
        }
        Torch.releaseFreedMemory(); // the conversions' intermediates
        Decoder decoder = new Decoder(fp32.config(), copies);
        return new EsModel(decoder, new EsReplica(config, fp32.parameters(), decoder.parameters(), noiseCacheBytes));
    }

    /**
     * Loads model directory {@code dir} onto {@code device} as a replica, one tensor at a time: each is read into its
     * fp32 master, allocated in {@code memory}, and from there into the working copy in {@code working}. The same
     * weights as {@link #create} from the model loaded in F32, at a peak of the master where it lives, the working
     * copy, and one tensor as the file holds it: with a {@link MasterMemory.Mapped} master, the working copy is the
     * only large allocation (the master's pages are the file's, which the kernel drops when memory is short).
     */
    public static EsModel load(EsConfig config, Path dir, DeviceSpec device, DType working, long noiseCacheBytes,
                               MasterMemory memory) {
        ModelConfig model = ConfigJson.read(dir);
        List<ParameterLayout.Spec> layout = ParameterLayout.of(model);
        boolean[] every = new boolean[layout.size()];
        Arrays.fill(every, true);
        List<Tensor> tensors = memory.zeros("master", layout.stream().map(ParameterLayout.Spec::shape).toList(),
                every, device.toTorch());
        Map<String, Tensor> master = new LinkedHashMap<>();
        for (int i = 0; i < layout.size(); i++) {
            master.put(layout.get(i).name(), tensors.get(i));
        }
        Map<String, Tensor> copies = ModelLoader.read(dir, (name, loaded) -> {
            Tensor m = master.get(name);
            m.copy_(loaded);
            return working == DType.F32 ? m.clone() : m.to(working.scalarType());
        });
        Decoder decoder = new Decoder(model, copies);
        return new EsModel(decoder, new EsReplica(config, master, decoder.parameters(), noiseCacheBytes, memory));
    }
}
