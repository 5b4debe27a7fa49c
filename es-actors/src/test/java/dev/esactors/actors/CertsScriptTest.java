package dev.esactors.actors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/es-actors-certs as a careless or hostile caller would use it: a node named like the CA or the trust store must
 * not replace them (a new self-signed CA; a private key in the store every node trusts), a name must not lead out of
 * DIR, and DIR is private from the moment it exists. The stores it makes are read back with the JDK's KeyStore.
 */
class CertsScriptTest {

    private record Result(int code, String out) {
    }

    private static Result certs(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of("..", "bin", "es-actors-certs").toString()));
        Collections.addAll(command, args);
        ProcessBuilder script = new ProcessBuilder(command).redirectErrorStream(true);
        script.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = script.start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Result(p.waitFor(), out);
    }

    private static KeyStore store(Path dir, String file) throws Exception {
        char[] password = Files.readAllLines(dir.resolve("password")).get(0).toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve(file))) {
            store.load(in, password);
        }
        return store;
    }

    @Test
    void namesThatWouldReplaceTheCaOrTheTrustStoreOrLeaveDirAreRefused(@TempDir Path root) throws Exception {
        Path dir = root.resolve("certs");
        Result made = certs(dir.toString());
        assertEquals(0, made.code(), made.out());
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE), Files.getPosixFilePermissions(dir), "DIR is private");
        assertTrue(store(dir, "node.p12").isKeyEntry("node"));
        assertFalse(store(dir, "trust.p12").isKeyEntry("ca"), "the trust store holds the CA's certificate only");
        byte[] ca = Files.readAllBytes(dir.resolve("ca.p12"));
        byte[] trust = Files.readAllBytes(dir.resolve("trust.p12"));

        for (String name : List.of("ca", "trust", "../outside/x", "a/b", "", ".hidden", "-rf")) {
            Result refused = certs(dir.toString(), name);
            assertEquals(2, refused.code(), name + ": " + refused.out());
            assertTrue(refused.out().contains("NAME"), name + ": " + refused.out());
        }
        assertArrayEquals(ca, Files.readAllBytes(dir.resolve("ca.p12")), "the CA is the same");
        assertArrayEquals(trust, Files.readAllBytes(dir.resolve("trust.p12")), "the trust store is the same");
        assertFalse(Files.exists(root.resolve("outside")), "nothing written outside DIR");

        Result worker = certs(dir.toString(), "worker-1");
        assertEquals(0, worker.code(), worker.out());
        KeyStore node = store(dir, "worker-1.p12");
        assertTrue(node.isKeyEntry("worker-1"));
        assertEquals(store(dir, "trust.p12").getCertificate("ca"), node.getCertificateChain("worker-1")[1],
                "signed by DIR's CA");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(dir.resolve("worker-1.p12")));
    }
}
