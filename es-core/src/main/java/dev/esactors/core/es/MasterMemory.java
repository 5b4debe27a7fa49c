package dev.esactors.core.es;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a replica's fp32 state lives: the master, the anchor of es.anchor-decay, and Adam's moments. Only the
 * working copy (what the model computes with, in the run's dtype) is needed where the model runs; the fp32 state is
 * read and written a range at a time, elementwise, so it can live anywhere that can be addressed: off a GPU, ranges
 * of it are staged through device buffers ({@link MasterStaging}). Where it lives changes memory and speed, never a
 * bit of the weights.
 */
public sealed interface MasterMemory permits MasterMemory.InMemory, MasterMemory.Host, MasterMemory.Mapped {

    /** In the memory of the run's device, beside the working copy: the default. */
    MasterMemory IN_MEMORY = new InMemory();

    /**
     * Zero fp32 tensors of {@code shapes} where {@code which} is true (null elsewhere), on {@code device}; {@code what}
     * names them in errors and file names.
     */
    List<Tensor> zeros(String what, List<long[]> shapes, boolean[] which, Device device);

    /** The device's own memory (host memory on a CPU). */
    record InMemory() implements MasterMemory {
        @Override
        public List<Tensor> zeros(String what, List<long[]> shapes, boolean[] which, Device device) {
            TensorOptions f32 = new TensorOptions(ScalarType.Float).device(new DeviceOptional(device));
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < shapes.size(); i++) {
                out.add(which[i] ? torch.zeros(shapes.get(i), f32) : null);
            }
            return out;
        }
    }

    /**
     * Host memory, whatever the run's device: on a GPU the device holds the working copy and staging buffers only
     * (a 14B model's 59 GB master beside its 30 GB bf16 copy does not fit one 80 GB GPU); on a CPU, as InMemory.
     */
    record Host() implements MasterMemory {
        @Override
        public List<Tensor> zeros(String what, List<long[]> shapes, boolean[] which, Device device) {
            return IN_MEMORY.zeros(what, shapes, which, new Device(torch.DeviceType.CPU));
        }
    }

    /**
     * A memory-mapped file in {@code dir}, one per call, for a model whose fp32 state does not fit in memory beside
     * its working copy (a 7B model's master is 30 GB): the kernel keeps the pages in use resident and writes the
     * rest back to the file. The file is unlinked as soon as it is mapped, so that it takes disk space only while
     * the process lives, and a crash leaves nothing behind; checkpoints, not this file, are what a run resumes from.
     * In host memory, whatever the run's device (a GPU's replica stages it, as a {@link Host} master).
     */
    record Mapped(Path dir) implements MasterMemory {

        public Mapped {
            if (dir == null) {
                throw new IllegalArgumentException("a mapped master needs a directory");
            }
        }

        @Override
        public List<Tensor> zeros(String what, List<long[]> shapes, boolean[] which, Device device) {
            long total = 0;
            for (int i = 0; i < shapes.size(); i++) {
                total += which[i] ? numel(shapes.get(i)) : 0;
            }
            Tensor all = map(what, Math.max(total, 1));
            List<Tensor> out = new ArrayList<>();
            long offset = 0;
            for (int i = 0; i < shapes.size(); i++) {
                if (!which[i]) {
                    out.add(null);
                    continue;
                }
                long n = numel(shapes.get(i));
                out.add(all.narrow(0, offset, n).view(shapes.get(i))); // views keep the mapping alive
                offset += n;
            }
            return out;
        }

        /** {@code elements} zero floats in a new file of {@code dir}, mapped shared and then unlinked. */
        private Tensor map(String what, long elements) {
            long bytes = elements * Float.BYTES;
            try {
                Files.createDirectories(dir);
                FileStore store = Files.getFileStore(dir);
                if (store.type().equals("tmpfs") || store.type().equals("ramfs")) {
                    throw new IllegalArgumentException("the " + what + " would be mapped in " + dir + ", a "
                            + store.type() + " (memory), which saves no memory: name a directory on a disk");
                }
                if (store.getUsableSpace() < bytes) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "the %s needs %.2f GB in %s, "
                            + "which has %.2f GB free", what, bytes / 1e9, dir, store.getUsableSpace() / 1e9));
                }
                Path file = Files.createTempFile(dir, "es-" + what.replace(' ', '-') + "-", ".f32");
                try {
                    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                        f.setLength(bytes);
                    }
                    Tensor mapped = torch.from_file(file.toString(), new BoolOptional(true),
                            new LongOptional(elements), new TensorOptions(ScalarType.Float));
                    // Every page written now, so that the file system allocates its blocks here: a page of a
                    // shared mapping first written once the disk is full is a SIGBUS that ends the JVM, not an
                    // error (a checkpoint can fill the disk between the check above and the first update).
                    return mapped.zero_();
                } finally {
                    Files.deleteIfExists(file); // the mapping outlives the name
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot map the " + what + " in " + dir + ": " + e.getMessage(), e);
            }
        }

        private static long numel(long[] shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }
}
