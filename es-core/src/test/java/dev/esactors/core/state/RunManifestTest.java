package dev.esactors.core.state;

import dev.esactors.core.torch.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** run.json: the configuration a run directory belongs to, and the CPU kernels it started on. */
class RunManifestTest {

    @TempDir
    Path dir;

    @Test
    void aResumeOnOtherKernelsIsNamedAndOnTheSameOnesNot() throws Exception {
        assertEquals(Optional.empty(), RunManifest.check(dir, "h1", "config one", "ATen AVX2, OpenBLAS Haswell"));
        assertTrue(Files.readString(dir.resolve(RunManifest.FILE)).contains(
                "\"kernels\" : \"ATen AVX2, OpenBLAS Haswell\""));
        assertEquals(Optional.empty(), RunManifest.check(dir, "h1", "config one", "ATen AVX2, OpenBLAS Haswell"));
        String warning = RunManifest.check(dir, "h1", "config one", "ATen AVX512, OpenBLAS Cooperlake").orElseThrow();
        assertTrue(warning.startsWith(dir.resolve(RunManifest.FILE) + ": this run started on other CPU kernels (ATen "
                + "AVX2, OpenBLAS Haswell) than this process runs (ATen AVX512, OpenBLAS Cooperlake)"), warning);
        // the record is the start's: a later resume still compares with it
        assertTrue(RunManifest.check(dir, "h1", "config one", "ATen AVX512, OpenBLAS Cooperlake").isPresent());
    }

    @Test
    void aManifestWrittenBeforeKernelsWereRecordedResumesWithoutAWarning() throws Exception {
        Files.writeString(dir.resolve(RunManifest.FILE), "{\"configHash\": \"h1\", \"config\": \"config one\"}");
        assertEquals(Optional.empty(), RunManifest.check(dir, "h1", "config one", "ATen AVX2, OpenBLAS Haswell"));
    }

    @Test
    void anotherConfigurationIsStillRefused() {
        RunManifest.check(dir, "h1", "config one", "k");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RunManifest.check(dir, "h2", "config two", "k"));
        assertTrue(e.getMessage().contains("belongs to config hash h1"), e.getMessage());
    }

    @Test
    void thisProcessNamesItsKernels() {
        String kernels = Torch.kernels();
        assertTrue(kernels.matches("ATen [A-Z0-9_ ]+, OpenBLAS \\S+"), kernels);
    }
}
