package dev.esactors.core.state;

import dev.esactors.core.io.Sha256;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/** How weights are compared: SHA-256 over each tensor's name, shape and bytes, in order (the runs' master sha256). */
public final class WeightsHash {

    private static final long CHUNK = 1L << 30; // a ByteBuffer holds at most 2 GiB

    private WeightsHash() {
    }

    /** The hash of {@code tensors}, named by {@code names} (same order), read on the CPU in their own dtype. */
    public static String of(List<String> names, List<Tensor> tensors) {
        MessageDigest sha = Sha256.digest();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < names.size(); i++) {
                Tensor t = tensors.get(i).to(new org.bytedeco.pytorch.Device(torch.DeviceType.CPU),
                        tensors.get(i).scalar_type()).contiguous();
                sha.update(names.get(i).getBytes(StandardCharsets.UTF_8));
                sha.update(Arrays.toString(TensorData.shape(t)).getBytes(StandardCharsets.UTF_8));
                long bytes = t.nbytes();
                for (long done = 0; done < bytes; done += CHUNK) {
                    sha.update(TensorData.byteRange(t.data_ptr(), done, (int) Math.min(CHUNK, bytes - done)));
                }
            }
        }
        return Sha256.hex(sha);
    }
}
