package dev.esactors.actors.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.esactors.train.config.RunConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Artery over TLS with mutual authentication: both ends of every connection present a certificate that must chain
 * to a CA of the trust store, so a process without such a certificate can neither join the cluster nor send a
 * message to any actor in it. The stores are opened here, before the actor system starts, so that a wrong
 * password, an empty trust store or an expired certificate is an error naming the key instead of a handshake that
 * fails on every connection.
 */
final class ClusterTls {

    private static final String ENGINE = "akka.remote.artery.ssl.config-ssl-engine.";
    /** Forward-secret suites with AES-GCM, for RSA keys (keytool's and cert-manager's default) and EC keys. */
    private static final List<String> SUITES = List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");

    private ClusterTls() {
    }

    /** Akka settings for {@code tls}: none when it is off; otherwise checked stores and their passwords. */
    static Config akkaSettings(RunConfig.Tls tls) {
        if (!tls.enabled()) {
            return ConfigFactory.empty();
        }
        String keyPassword = password("cluster.tls.key-store-password", tls.keyStorePassword());
        String trustPassword = password("cluster.tls.trust-store-password", tls.trustStorePassword());
        checkKeyStore(tls.keyStore(), keyPassword);
        checkTrustStore(tls.trustStore(), trustPassword);
        Map<String, Object> settings = new HashMap<>();
        settings.put("akka.remote.artery.transport", "tls-tcp");
        settings.put("akka.remote.artery.ssl.ssl-engine-provider", "akka.remote.artery.tcp.ConfigSSLEngineProvider");
        settings.put(ENGINE + "key-store", tls.keyStore().toAbsolutePath().toString());
        settings.put(ENGINE + "key-store-password", keyPassword);
        settings.put(ENGINE + "key-password", keyPassword);
        settings.put(ENGINE + "trust-store", tls.trustStore().toAbsolutePath().toString());
        settings.put(ENGINE + "trust-store-password", trustPassword);
        settings.put(ENGINE + "protocol", "TLSv1.2");
        settings.put(ENGINE + "enabled-algorithms", SUITES);
        settings.put(ENGINE + "require-mutual-authentication", true);
        return ConfigFactory.parseMap(settings);
    }

    /** The password that {@code source} (env:VAR or file:PATH, checked by the loader) points at. */
    static String password(String key, String source) {
        if (source.startsWith("env:")) {
            String name = source.substring("env:".length());
            String value = System.getenv(name);
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException(key + ": the environment variable " + name + " is not set");
            }
            return value;
        }
        Path file = Path.of(source.substring("file:".length()));
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isEmpty()) {
                throw new IllegalArgumentException(key + ": " + file + " is empty");
            }
            return lines.get(0);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static void checkKeyStore(Path file, String password) {
        KeyStore store = open("cluster.tls.key-store", file, password);
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    try {
                        store.getKey(alias, password.toCharArray());
                    } catch (GeneralSecurityException e) {
                        throw new IllegalArgumentException("cluster.tls.key-store: " + file + ": the key '" + alias
                                + "' does not open with the key store's password (" + e.getMessage() + ")", e);
                    }
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (chain == null || chain.length == 0) {
                        throw new IllegalArgumentException("cluster.tls.key-store: " + file + ": the key '" + alias
                                + "' has no certificate");
                    }
                    checkValid("cluster.tls.key-store", file, alias, chain[0]);
                    return;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cluster.tls.key-store: " + file + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("cluster.tls.key-store: " + file + " holds no private key (is it the "
                + "trust store?)");
    }

    private static void checkTrustStore(Path file, String password) {
        KeyStore store = open("cluster.tls.trust-store", file, password);
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isCertificateEntry(alias)) {
                    checkValid("cluster.tls.trust-store", file, alias, store.getCertificate(alias));
                    return;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cluster.tls.trust-store: " + file + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("cluster.tls.trust-store: " + file + " holds no trusted certificate, so "
                + "no node would be accepted");
    }

    private static KeyStore open(String key, Path file, String password) {
        try (InputStream in = Files.newInputStream(file)) {
            // Java 17's PKCS12 key store reads JKS files as well.
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password")
                    ? "wrong password, or not a key store" : String.valueOf(e.getMessage());
            throw new IllegalArgumentException(key + ": cannot open " + file + ": " + why, e);
        }
    }

    private static void checkValid(String key, Path file, String alias, Certificate certificate) {
        if (certificate instanceof X509Certificate x509) {
            try {
                x509.checkValidity();
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw new IllegalArgumentException(key + ": " + file + ": the certificate '" + alias + "' is valid "
                        + "only from " + x509.getNotBefore().toInstant() + " to " + x509.getNotAfter().toInstant(), e);
            }
        }
    }
}
