package dev.esactors.core.torch;

import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.testing.ChildJvm;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code es.blas}: the machine's OpenBLAS in place of the bundled one, with the same bits. Each setting runs in a
 * child JVM of its own (the library is chosen once, before LibTorch loads) that prints which library LibTorch's
 * {@code sgemm_} resolves to and a hash of matrix products at the decode step's shapes and of a greedy decode.
 * Needs Debian's libopenblas0-pthread and libblas3 (.ci/run installs them and sets ES_REQUIRE_SYSTEM_BLAS=1 so that
 * CI cannot skip).
 */
class BlasTest {

    private static final Path SYSTEM = Path.of("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0");

    /** Prints Torch.blas() and then the hash of this JVM's products and decode. */
    public static void main(String[] args) throws Exception {
        Torch.setThreads(1);
        System.out.println(Torch.blas());
        System.out.println(productsAndDecodeHash());
    }

    /**
     * SHA-256 of mm(x, W^T) at 1 to 64 rows for the 21.9M bench model's and Qwen2.5's projection shapes (seeded
     * inputs), and of the tokens of a greedy decode of the embedded model.
     */
    static String productsAndDecodeHash() throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        torch.manual_seed(7);
        int[][] shapes = {{512, 512}, {512, 1408}, {1408, 512}, {512, 8192}, {1536, 256}};
        for (int[] shape : shapes) {
            for (int rows : new int[] {1, 3, 8, 32, 64}) {
                Tensor y = torch.mm(torch.randn(rows, shape[0]), torch.randn(shape[1], shape[0]).t()).contiguous();
                float[] values = new float[(int) y.numel()];
                new FloatPointer(y.data_ptr_float()).get(values);
                ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
                for (float v : values) {
                    bytes.putFloat(v);
                }
                digest.update(bytes.array());
            }
        }
        Decoder decoder = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        Random random = new Random(3);
        List<int[]> prompts = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            prompts.add(random.ints(12, 3, decoder.config().vocabSize()).toArray());
        }
        for (Completion c : new BatchGenerator(decoder).generate(prompts, 24, Set.of(), SamplingConfig.GREEDY)) {
            for (int token : c.tokens()) {
                digest.update(Integer.toString(token).getBytes(StandardCharsets.US_ASCII));
                digest.update((byte) ',');
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static List<String> inChild(String setting) throws Exception {
        List<String> lines = ChildJvm.run(BlasTest.class, List.of("-Des.blas=" + setting), 180);
        return lines.subList(lines.size() - 2, lines.size());
    }

    @Test
    void theSystemOpenBlasServesLibTorchWithTheBundledOnesBits() throws Exception {
        requireOrAssume(SYSTEM, "libopenblas0-pthread");
        List<String> bundled = inChild("bundled");
        List<String> system = inChild("system");
        // the description names the file LibTorch's sgemm_ resolves to: the switch took effect, or this fails
        assertTrue(system.get(0).contains("/usr/lib/x86_64-linux-gnu/openblas-pthread/")
                && system.get(0).contains("(es.blas=system)"), system.get(0));
        assertTrue(bundled.get(0).contains(".javacpp") && bundled.get(0).contains("(es.blas=bundled)"),
                bundled.get(0));
        assertNotEquals(bundled.get(0), system.get(0));
        assertTrue(system.get(0).startsWith("OpenBLAS 0."), system.get(0)); // its own openblas_get_config
        assertEquals(bundled.get(1), system.get(1), "products and decode, bundled vs system OpenBLAS");
    }

    @Test
    void badSettingsAreNamedWithWhatToDo() {
        assertNull(Blas.library("bundled"));
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> Blas.library("fast"));
        assertTrue(word.getMessage().contains("must be bundled, system or the absolute path of a libopenblas shared "
                + "library, got 'fast'"), word.getMessage());
        assertTrue(word.getMessage().startsWith("ES_BLAS") || word.getMessage().startsWith("es.blas"),
                word.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Blas.library("/nowhere/libopenblas.so.0"));
        assertTrue(missing.getMessage().endsWith("(no such file)"), missing.getMessage());
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
                () -> Blas.library("libopenblas.so.0"));
        assertTrue(relative.getMessage().contains("got 'libopenblas.so.0'"), relative.getMessage());
        // a shared library that is no BLAS: refused when opened, naming the missing routine
        Path zlib = Path.of("/lib/x86_64-linux-gnu/libz.so.1");
        assumeTrue(Files.isRegularFile(zlib));
        IllegalArgumentException notBlas = assertThrows(IllegalArgumentException.class, () -> Blas.open(zlib));
        assertTrue(notBlas.getMessage().contains("cannot load " + zlib + " as a BLAS")
                && notBlas.getMessage().contains("sgemm_"), notBlas.getMessage());
        // a BLAS that is not OpenBLAS (Debian's reference BLAS, libblas3): refused too, since bench could not name it
        Path reference = Path.of("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3");
        requireOrAssume(reference, "libblas3");
        IllegalArgumentException notOpenBlas = assertThrows(IllegalArgumentException.class, () -> Blas.open(reference));
        assertTrue(notOpenBlas.getMessage().contains("openblas_get_config"), notOpenBlas.getMessage());
    }

    /** Skips without {@code file} on a developer's machine; fails without it where ES_REQUIRE_SYSTEM_BLAS=1 (CI). */
    private static void requireOrAssume(Path file, String debianPackage) {
        boolean required = "1".equals(System.getenv("ES_REQUIRE_SYSTEM_BLAS"));
        assertTrue(!required || Files.isRegularFile(file), "ES_REQUIRE_SYSTEM_BLAS=1 but " + file + " is missing");
        assumeTrue(Files.isRegularFile(file), "no " + file + " (apt-get install " + debianPackage + ")");
    }
}
