package dev.esactors.core.torch;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.ByteBuffer;

/** Copies between Java arrays and LibTorch tensors. */
public final class TensorData {

    private TensorData() {
    }

    /** A new CPU float32 tensor of {@code shape} holding a copy of {@code values}. */
    public static Tensor floats(float[] values, long... shape) {
        Torch.load();
        checkSize(values.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), null);
        if (values.length > 0) {
            new FloatPointer(t.data_ptr()).put(values);
        }
        return t;
    }

    /** A new CPU int64 tensor of {@code shape} holding a copy of {@code values}. */
    public static Tensor longs(long[] values, long... shape) {
        Torch.load();
        checkSize(values.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Long), null);
        if (values.length > 0) {
            new LongPointer(t.data_ptr()).put(values);
        }
        return t;
    }

    /** The elements of {@code t}, converted to float32 and read back to the Java heap in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor cpu = t.to(new org.bytedeco.pytorch.Device(torch.DeviceType.CPU), ScalarType.Float).contiguous();
        float[] out = new float[Math.toIntExact(cpu.numel())];
        if (out.length > 0) {
            new FloatPointer(cpu.data_ptr()).get(out);
        }
        return out;
    }

    /** The elements of {@code t}, converted to int64 and read back in row-major order. */
    public static long[] toLongs(Tensor t) {
        Tensor cpu = t.to(new org.bytedeco.pytorch.Device(torch.DeviceType.CPU), ScalarType.Long).contiguous();
        long[] out = new long[Math.toIntExact(cpu.numel())];
        if (out.length > 0) {
            new LongPointer(cpu.data_ptr()).get(out);
        }
        return out;
    }

    /**
     * A buffer over exactly bytes [offset, offset + length) of the native memory at {@code data}, its position 0, for
     * reading, writing or hashing a tensor's bytes a chunk at a time. Not asBuffer() of a pointer moved to the
     * chunk: JavaCPP's buffer then spans from the pointer's start to its limit, clamped to 2 GiB, positioned at the
     * chunk, so a tensor's chunks were read from twice their offset, and past 2 GiB cut short.
     */
    public static ByteBuffer byteRange(Pointer data, long offset, int length) {
        return new BytePointer(new BytePointer(data).getPointer(offset)).position(0).limit(length).asBuffer();
    }

    /** The shape of {@code t}. */
    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    private static void checkSize(int length, long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != length) {
            throw new IllegalArgumentException("shape holds " + n + " elements but " + length + " values were given");
        }
    }
}
