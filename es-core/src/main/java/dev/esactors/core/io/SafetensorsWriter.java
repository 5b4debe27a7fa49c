package dev.esactors.core.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes tensors as a safetensors file in the layout the reference implementation produces (and Hugging Face
 * transformers loads): JSON header padded with spaces to a multiple of 8 bytes, tensors contiguous and in the
 * order given, without gaps. Writes are atomic: a temporary file is fsynced, then renamed over the target.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WRITE_CHUNK = 1L << 28;

    private SafetensorsWriter() {
    }

    /**
     * Writes {@code tensors} (in iteration order, from any device) and {@code metadata} to {@code path}, atomically,
     * in their own dtypes.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        write(path, tensors, metadata, null);
    }

    /**
     * As above, each tensor converted to {@code dtype} (null: as it is) and copied to the CPU just before its bytes
     * are written, so that no converted or host copy of the whole model is ever held (an export of 1.5B parameters
     * in bf16 held 3 GB more).
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, DType dtype) {
        byte[] header = header(tensors, metadata, dtype);
        Device cpu = new Device(torch.DeviceType.CPU);
        AtomicFiles.write(path, channel -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            writeFully(channel, prefix.flip());
            writeFully(channel, ByteBuffer.wrap(header));
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor t = e.getValue();
                    writeData(channel, t.to(cpu, dtype == null ? t.scalar_type() : dtype.scalarType()));
                }
            }
        });
    }

    private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata, DType as) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            DType dtype = as != null ? as : DType.of(t.scalar_type());
            ObjectNode node = root.putObject(e.getKey());
            node.put("dtype", dtype.safetensorsName());
            ArrayNode shape = node.putArray("shape");
            for (int d = 0; d < t.dim(); d++) {
                shape.add(t.size(d));
            }
            long bytes = t.numel() * dtype.bytes();
            node.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // data stays 8-byte aligned for zero-copy readers
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static void writeData(FileChannel channel, Tensor tensor) throws IOException {
        Tensor contiguous = tensor.contiguous();
        long length = contiguous.nbytes();
        if (length == 0) {
            return;
        }
        for (long done = 0; done < length; done += WRITE_CHUNK) {
            writeFully(channel, TensorData.byteRange(contiguous.data_ptr(), done,
                    (int) Math.min(WRITE_CHUNK, length - done)));
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
