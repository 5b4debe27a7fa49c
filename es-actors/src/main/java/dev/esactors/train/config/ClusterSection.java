package dev.esactors.train.config;

import com.typesafe.config.Config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import static dev.esactors.train.config.ConfigKeys.get;

/** The {@code cluster} and {@code metrics} blocks of a run file: how this node joins, listens and authenticates. */
final class ClusterSection {

    private ClusterSection() {
    }

    /** A cluster node's address: akka://es-actors@host:port (the host may be an [IPv6] literal). */
    private static final Pattern SEED_NODE = Pattern.compile("akka://es-actors@(\\[[0-9A-Fa-f:.]+]|[^:@/\\s]+)"
            + ":\\d{1,5}");

    static RunConfig.Metrics metrics(String where, Config c) {
        int port = get(where, "metrics.port", () -> c.getInt("metrics.port"));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(where + "metrics.port must be in [0, 65535], got " + port);
        }
        Duration linger = get(where, "metrics.linger", () -> c.getDuration("metrics.linger"));
        if (linger.isNegative()) {
            throw new IllegalArgumentException(where + "metrics.linger must be >= 0, got " + linger);
        }
        return new RunConfig.Metrics(get(where, "metrics.enabled", () -> c.getBoolean("metrics.enabled")),
                get(where, "metrics.host", () -> c.getString("metrics.host")), port, linger);
    }

    static RunConfig.Cluster cluster(String where, Config c) {
        String role = get(where, "cluster.role", () -> c.getString("cluster.role")).toLowerCase(Locale.ROOT);
        if (!role.equals("standalone") && !role.equals("coordinator") && !role.equals("evaluator")) {
            throw new IllegalArgumentException(where + "cluster.role must be standalone, coordinator or evaluator, got '"
                    + role + "'");
        }
        int port = get(where, "cluster.port", () -> c.getInt("cluster.port"));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(where + "cluster.port must be in [0, 65535], got " + port);
        }
        List<String> seeds = get(where, "cluster.seed-nodes", () -> c.getStringList("cluster.seed-nodes"));
        for (String seed : seeds) {
            if (!SEED_NODE.matcher(seed).matches()) {
                throw new IllegalArgumentException(where + "cluster.seed-nodes: '" + seed + "' is not a node "
                        + "address like akka://es-actors@10.0.0.5:2551");
            }
        }
        if (role.equals("evaluator") && seeds.isEmpty()) {
            throw new IllegalArgumentException(where + "cluster.seed-nodes is empty: an evaluator node joins its "
                    + "coordinator through them (--seed-nodes akka://es-actors@HOST:PORT)");
        }
        return new RunConfig.Cluster(role, get(where, "cluster.host", () -> c.getString("cluster.host")), port,
                seeds,
                get(where, "cluster.bind-host", () -> c.getString("cluster.bind-host")),
                get(where, "cluster.coordinator-wait", () -> c.getDuration("cluster.coordinator-wait")),
                tls(where, c));
    }

    static RunConfig.Tls tls(String where, Config c) {
        boolean enabled = get(where, "cluster.tls.enabled", () -> c.getBoolean("cluster.tls.enabled"));
        Path keyStore = tlsStore(where, c, "cluster.tls.key-store", enabled);
        Path trustStore = tlsStore(where, c, "cluster.tls.trust-store", enabled);
        String keyPassword = passwordSource(where, c, "cluster.tls.key-store-password");
        String trustPassword = passwordSource(where, c, "cluster.tls.trust-store-password");
        return new RunConfig.Tls(enabled, keyStore, trustStore, keyPassword, trustPassword);
    }

    static Path tlsStore(String where, Config c, String key, boolean enabled) {
        String value = get(where, key, () -> c.getString(key));
        if (enabled && value.isBlank()) {
            throw new IllegalArgumentException(where + key + " is required when cluster.tls.enabled is on");
        }
        if (enabled && !Files.isRegularFile(Paths.get(value))) {
            throw new IllegalArgumentException(where + key + ": '" + value + "' not found");
        }
        return value.isBlank() ? null : Paths.get(value);
    }

    /** A password's source: env:VAR or file:PATH; the password itself is refused, so it is never saved in run.conf. */
    static String passwordSource(String where, Config c, String key) {
        String value = get(where, key, () -> c.getString(key));
        if (!value.matches("env:[A-Za-z_][A-Za-z0-9_]*|file:.+")) {
            throw new IllegalArgumentException(where + key + " must say where the password is, as env:VAR or "
                    + "file:PATH, not be the password (it would be saved in run.conf and shown in the process list)");
        }
        return value;
    }
}
