package dev.esactors.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's CPU time and peak resident memory, read from the JVM and Linux's /proc (peak memory is -1
 * elsewhere). A study runs each run in a process of its own, so that these are the run's alone.
 */
public final class ProcessMeter {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMeter() {
    }

    /** CPU time of every thread of this process so far, in seconds (NaN where the JVM does not say). */
    public static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long nanos = os.getProcessCpuTime();
            return nanos < 0 ? Double.NaN : nanos / 1e9;
        }
        return Double.NaN;
    }

    /** The peak resident set size (VmHWM) in bytes, or -1 when unknown. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.UTF_8)) {
                if (line.startsWith("VmHWM:")) { // "VmHWM:   123456 kB"
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Resets the peak to the current resident size (Linux 4.0+: writing 5 to clear_refs), so that a run measured in a
     * process that ran others before it is not charged their peak; false when that is not possible.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
