package dev.esactors.core.es;

import dev.esactors.core.model.WeightDelta;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The low-rank perturbations of several members, stacked for one batched forward pass: per matrix the scaled
 * factors sigma x sign / sqrt(r) x A (M, out, r) and B (M, in, r), per vector sigma x sign x eps (M, 1, n), in the
 * working dtype. A linear layer adds (x B) A^T per member with two batched matmuls; the weights never change.
 * Close it after the pass to free its tensors.
 */
public final class LowRankPass implements WeightDelta, AutoCloseable {

    private final int members;
    private final Map<String, Tensor[]> matrices = new HashMap<>();
    private final Map<String, Tensor> vectors = new HashMap<>();
    private final List<Tensor> owned = new ArrayList<>();

    LowRankPass(int members) {
        this.members = members;
    }

    /** Keeps matrix {@code name}'s stacked factors: a (M, out, r), already scaled, and b (M, in, r). */
    void matrix(String name, Tensor a, Tensor b) {
        matrices.put(name, new Tensor[] {a, b});
        owned.add(a);
        owned.add(b);
    }

    /** Keeps vector {@code name}'s stacked, scaled noise (M, 1, n). */
    void vector(String name, Tensor noise) {
        vectors.put(name, noise);
        owned.add(noise);
    }

    @Override
    public int members() {
        return members;
    }

    @Override
    public Tensor linear(String name, Tensor x) {
        Tensor[] f = matrices.get(name);
        return f == null ? null : torch.bmm(torch.bmm(x, f[1]), f[0].transpose(1, 2));
    }

    @Override
    public Tensor embedding(String name, Tensor ids) {
        Tensor[] f = matrices.get(name);
        if (f == null) {
            return null;
        }
        long vocab = f[0].size(1);
        long rank = f[0].size(2);
        // Member m's rows of A sit at m x vocab in the flattened stack: one lookup serves every member.
        Tensor offsets = torch.arange(new Scalar(0L), new Scalar((long) members * vocab), new Scalar(vocab),
                new TensorOptions(torch.ScalarType.Long).device(new DeviceOptional(ids.device()))).view(members, 1);
        Tensor rows = torch.embedding(f[0].view(members * vocab, rank), ids.add(offsets)); // (M, R, r)
        return torch.bmm(rows, f[1].transpose(1, 2));
    }

    @Override
    public Tensor vector(String name) {
        return vectors.get(name);
    }

    @Override
    public void close() {
        owned.forEach(Tensor::close);
        owned.clear();
        matrices.clear();
        vectors.clear();
    }
}
