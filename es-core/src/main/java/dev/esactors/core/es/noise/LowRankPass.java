package dev.esactors.core.es.noise;

import dev.esactors.core.model.WeightDelta;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The low-rank perturbations of several members, stacked for one batched forward pass: per matrix the scaled
 * factors sigma x sign / sqrt(r) x A^T (M, r, out) and B (M, in, r), per vector sigma x sign x eps (M, 1, n), in the
 * working dtype. A linear layer adds (x B) A^T per member with two batched matmuls; the weights never change.
 * Close it after the pass to free its tensors.
 */
public final class LowRankPass implements WeightDelta, AutoCloseable {

    private final int members;
    private final Map<String, Tensor[]> matrices = new HashMap<>();
    private final Map<String, Tensor> vectors = new HashMap<>();
    private final List<Tensor> owned = new ArrayList<>();
    private String embedding;
    private Tensor embeddingRows; // (M x vocab, r): member m's rows of A start at m x vocab
    private Tensor rowOffsets; // (M, 1): m x vocab

    public LowRankPass(int members) {
        this.members = members;
    }

    /** Keeps matrix {@code name}'s stacked factors: aT (M, r, out), already scaled, and b (M, in, r). */
    public void matrix(String name, Tensor aT, Tensor b) {
        matrices.put(name, new Tensor[] {aT, b});
        owned.add(aT);
        owned.add(b);
    }

    /**
     * Marks matrix {@code name} (already kept) as the token embedding: {@code rows} is its A laid out for lookups
     * (M x vocab, r) and {@code offsets} (M, 1) holds m x vocab.
     */
    public void embedding(String name, Tensor rows, Tensor offsets) {
        this.embedding = name;
        this.embeddingRows = rows;
        this.rowOffsets = offsets;
        owned.add(rows);
        owned.add(offsets);
    }

    /** Keeps vector {@code name}'s stacked, scaled noise (M, 1, n). */
    public void vector(String name, Tensor noise) {
        vectors.put(name, noise);
        owned.add(noise);
    }

    @Override
    public int members() {
        return members;
    }

    @Override
    public Tensor linear(String name, Tensor x, Tensor y) {
        Tensor[] f = matrices.get(name);
        if (f == null) {
            return y;
        }
        // y is the forward's own product: added to in place unless autograd needs it (the same kernel either way),
        // which spares a copy of the (M, R, out) product per layer and step.
        return y.requires_grad() ? torch.baddbmm(y, torch.bmm(x, f[1]), f[0]) : y.baddbmm_(torch.bmm(x, f[1]), f[0]);
    }

    @Override
    public Tensor embedding(String name, Tensor ids) {
        if (!name.equals(embedding)) {
            return null;
        }
        Tensor rows = torch.embedding(embeddingRows, ids.add(rowOffsets)); // (M, R, r): one lookup for every member
        return torch.bmm(rows, matrices.get(name)[1].transpose(1, 2));
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
        embedding = null;
    }
}
