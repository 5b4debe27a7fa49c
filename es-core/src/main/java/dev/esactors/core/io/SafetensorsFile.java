package dev.esactors.core.io;

import dev.esactors.core.torch.TensorData;
import dev.esactors.core.torch.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A safetensors file opened for reading. The header is validated when the file is opened; tensor data is read
 * chunk by chunk straight into LibTorch memory, never onto the Java heap.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Tensors are read at most this many bytes at a time (a ByteBuffer holds at most 2 GiB). */
    private static final long READ_CHUNK = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    /** Opens and validates {@code path}; throws {@link SafetensorsFormatException} naming the fault. */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open safetensors file " + path, e);
        }
        try {
            return new SafetensorsFile(path, channel, readHeader(path, channel));
        } catch (RuntimeException | IOException e) {
            closeQuietly(channel, e);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot read safetensors file " + path, io);
            }
            throw (RuntimeException) e;
        }
    }

    private static SafetensorsHeader readHeader(Path path, FileChannel channel) throws IOException {
        long size = channel.size();
        ByteBuffer prefix = ByteBuffer.allocate(8);
        readFully(channel, prefix, 0);
        long length = SafetensorsHeader.headerLength(path, prefix, size);
        ByteBuffer json = ByteBuffer.allocate((int) length);
        readFully(channel, json, 8);
        long dataStart = 8 + length;
        return SafetensorsHeader.parse(path, json.array(), dataStart, size - dataStart);
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                break; // the length checks ran against the size, so this is a file shrinking under us
            }
            at += n;
        }
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** Tensors by name, in data-offset order. */
    public Map<String, TensorEntry> tensors() {
        return header.tensors();
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The entry of {@code name}, or an error that names the file and the missing tensor. */
    public TensorEntry entry(String name) {
        TensorEntry e = header.tensors().get(name);
        if (e == null) {
            throw new SafetensorsFormatException(path, "no tensor named '" + name + "'");
        }
        return e;
    }

    /** Loads a tensor into a new CPU tensor of the file's dtype (owned by LibTorch, not the mapping). */
    public Tensor load(String name) {
        return load(name, READ_CHUNK);
    }

    /** {@link #load(String)}, read {@code chunk} bytes at a time (tests show any chunking reads the same bytes). */
    Tensor load(String name, long chunk) {
        Torch.load();
        TensorEntry e = entry(name);
        Tensor out = torch.empty(e.shape(), new TensorOptions(e.dtype().scalarType()), null);
        long length = e.byteLength();
        // Positional reads, not a mapping: a mapping lives until the GC collects it, which pins a pruned
        // checkpoint's disk space (and its file system's mount) long after the file was deleted.
        try {
            for (long done = 0; done < length; done += chunk) {
                ByteBuffer dst = TensorData.byteRange(out.data_ptr(), done, (int) Math.min(chunk, length - done));
                long at = header.dataStart() + e.begin() + done;
                while (dst.hasRemaining()) {
                    int read = channel.read(dst, at + dst.position());
                    if (read < 0) {
                        throw new SafetensorsFormatException(path, "tensor '" + name + "' ends past the file's end");
                    }
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read tensor '" + name + "' of " + path, ex);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path, e);
        }
    }

    private static void closeQuietly(FileChannel channel, Exception primary) {
        try {
            channel.close();
        } catch (IOException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }
}
