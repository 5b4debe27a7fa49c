package dev.esactors.cli.bench;

import dev.esactors.core.torch.DeviceMemory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One phase of a benchmark run as an es-actors process of its own, so that its memory is its own: the wall time, the
 * peak resident memory the process reports at exit (VmHWM), and the peaks of its two kinds of resident memory,
 * sampled from /proc every 100 ms. Anonymous memory is what the process allocated (tensors, the JVM); file-backed is
 * pages of mapped files held in memory (a mapped master, read-only weight files), which the kernel can write back
 * and drop when memory is short. A brief peak between samples can be missed: VmHWM bounds both.
 *
 * @param name what the phase does, as the table prints it
 * @param args the es-actors command line of the phase
 */
record PhaseProcess(String name, List<String> args) {

    /** Environment variable naming the file where an es-actors process writes its peak memory and CPU time. */
    static final String PEAK_FILE = RealSizeBench.PEAK_FILE;

    /**
     * @param peakBytes VmHWM at exit, -1 when unknown
     * @param peakAnon  the largest RssAnon sampled (bytes), -1 when /proc could not be read
     * @param peakFile  the largest RssFile sampled (bytes), -1 when /proc could not be read
     */
    record Result(int exitCode, double seconds, long peakBytes, long peakAnon, long peakFile, String output) {
    }

    Result run(String mainClass) throws IOException, InterruptedException {
        Path peak = Files.createTempFile("es-peak", ".txt");
        Path log = Files.createTempFile("es-phase", ".log");
        try {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
            command.addAll(List.of("-Doffline=true", "-Des.home=" + System.getProperty("es.home", "."),
                    "-cp", System.getProperty("java.class.path"), mainClass));
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put(PEAK_FILE, peak.toString());
            long start = System.nanoTime();
            Process process = builder.start();
            Path status = Path.of("/proc/" + process.pid() + "/status");
            long anon = -1;
            long file = -1;
            while (process.isAlive()) {
                anon = Math.max(anon, DeviceMemory.procBytes(status, "RssAnon:"));
                file = Math.max(file, DeviceMemory.procBytes(status, "RssFile:"));
                Thread.sleep(100);
            }
            int code = process.waitFor();
            double seconds = (System.nanoTime() - start) / 1e9;
            String measured = Files.readString(peak).strip();
            long bytes = measured.isEmpty() ? -1 : Long.parseLong(measured.split(" ")[0]);
            return new Result(code, seconds, bytes, anon, file, Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(peak);
            Files.deleteIfExists(log);
        }
    }
}
