package dev.esactors.core.torch;

import org.bytedeco.pytorch.global.torch_cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory in use on a device, for monitoring: on a CUDA device the bytes LibTorch's caching allocator has handed
 * out; on the CPU, where tensors live in the process's own memory, the process's resident set.
 */
public final class DeviceMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private DeviceMemory() {
    }

    /** Bytes in use on {@code device}, or -1 when the platform does not say. */
    public static long bytesInUse(DeviceSpec device) {
        if (device.isCuda()) {
            return torch_cuda.getAllocator().getDeviceStats((byte) device.index()).allocated_bytes().current();
        }
        return residentBytes();
    }

    /** The process's resident set size (Linux VmRSS), or -1 elsewhere. */
    public static long residentBytes() {
        return statusBytes("VmRSS:");
    }

    /** The process's peak resident set size (Linux VmHWM), or -1 elsewhere. */
    public static long peakResidentBytes() {
        return statusBytes("VmHWM:");
    }

    private static long statusBytes(String field) {
        return procBytes(STATUS, field);
    }

    /**
     * The size a Linux /proc file ({@code /proc/PID/status}, {@code /proc/meminfo}) gives on its {@code field} line
     * ("VmRSS:", "MemTotal:"), in bytes; -1 when the file or the line is not there (not Linux, a process that ended).
     */
    public static long procBytes(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    // "VmRSS:	  123456 kB"
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: the metric is simply unavailable
        }
        return -1;
    }
}
