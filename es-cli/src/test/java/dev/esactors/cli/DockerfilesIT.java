package dev.esactors.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No Docker engine here, so the images cannot be built; this checks, after {@code mvn package}, that the
 * Dockerfiles copy what the build really produces, in the layout the launcher expects, and that the entrypoint
 * they name runs. (A failsafe test: it needs the packaged jar.)
 */
class DockerfilesIT {

    private static final Path ROOT = Path.of(System.getProperty("es.home", "."));
    private static final Pattern COPY_FROM_BUILD = Pattern.compile("(?m)^COPY --from=build /src/(\\S+) (\\S+)$");
    private static final Pattern COPY = Pattern.compile("(?m)^COPY (?!--)(\\S+) (\\S+)$");

    @Test
    void cpuImage() throws Exception {
        check("docker/Dockerfile", "eclipse-temurin:17-jre-jammy", "");
    }

    @Test
    void cudaImage() throws Exception {
        check("docker/Dockerfile.cuda", "nvidia/cuda:13.1.0-cudnn-runtime-ubuntu24.04", "-Pcuda");
    }

    private static void check(String name, String runtimeBase, String profile) throws Exception {
        String text = Files.readString(ROOT.resolve(name));
        // Multi-stage: a Maven build stage, then the runtime base (Ubuntu 22.04/24.04: glibc >= 2.35 for LibTorch).
        assertTrue(text.contains("FROM maven:3.9-eclipse-temurin-17 AS build"), name);
        assertTrue(text.contains("\nFROM " + runtimeBase + "\n"), name + " runs on " + runtimeBase);
        assertTrue(text.contains("RUN mvn -B -q package -DskipTests" + (profile.isEmpty() ? "\n" : " " + profile + "\n")),
                name + " builds with the expected Maven command");
        if (!profile.isEmpty()) {
            assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("<id>" + profile.substring(2) + "</id>"),
                    "profile " + profile + " exists");
        }
        // Every module the build needs is copied into the build stage.
        for (String module : List.of("pom.xml", "es-core", "es-rewards", "es-actors", "es-cli")) {
            assertTrue(text.contains("COPY " + module + " "), name + " copies " + module);
        }

        List<String> fromBuild = matches(COPY_FROM_BUILD, text);
        assertEquals(List.of("es-cli/target/es-actors.jar", "es-cli/target/lib"), fromBuild.stream()
                .map(s -> s.split(" ")[0]).toList(), name);
        for (String copy : fromBuild) {
            String[] parts = copy.split(" ");
            assertTrue(Files.exists(ROOT.resolve(parts[0])), parts[0] + " is produced by the build");
            assertEquals(parts[0], parts[1], "copied to the same relative place: bin/es-actors finds it there");
        }
        for (String copy : matches(COPY, text)) {
            String source = copy.split(" ")[0];
            assertTrue(Files.exists(ROOT.resolve(source)), name + " copies " + source + ", which exists");
        }

        // The jar runs from its lib/: the manifest names the main class and every jar it needs is there.
        Path jar = ROOT.resolve("es-cli/target/es-actors.jar");
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            assertEquals("dev.esactors.cli.EsActorsCommand", manifest.getMainAttributes().getValue("Main-Class"));
            String classPath = manifest.getMainAttributes().getValue("Class-Path");
            assertTrue(classPath.contains("lib/pytorch-"), classPath);
            for (String entry : classPath.trim().split("\\s+")) {
                assertTrue(Files.isRegularFile(jar.getParent().resolve(entry)), entry + " is in es-cli/target/lib");
            }
        }

        // The entrypoint is the launcher, on PATH at the place it is copied to, and it runs.
        assertTrue(text.contains("ENTRYPOINT [\"es-actors\"]"), name);
        assertTrue(text.contains("COPY bin/es-actors bin/es-actors") && text.contains("WORKDIR /opt/es-actors")
                && text.contains("PATH=/opt/es-actors/bin:$PATH"), name + " puts bin/es-actors on PATH");
        assertTrue(text.contains("CMD [\"run\"]"), name);
        assertFalse(text.contains("USER root"), name);
        assertTrue(Files.isExecutable(ROOT.resolve("bin/es-actors")));
        Process tasks = new ProcessBuilder(ROOT.resolve("bin/es-actors").toString(), "tasks").redirectErrorStream(true).start();
        String out = new String(tasks.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tasks.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, tasks.exitValue(), out);
        assertTrue(out.contains("sudoku"), out);
    }

    private static List<String> matches(Pattern pattern, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            out.add(m.group(1) + " " + m.group(2));
        }
        return out;
    }
}
