package dev.esactors.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Helm chart in k8s/es-actors, through real Helm (helm-java): it lints strictly, renders with the default and
 * the GPU values, and the rendered manifests hold the essentials. The containers' arguments are parsed by the
 * real {@code run} command and the mounted run file is validated by the real config loader, so a chart that
 * passes an option or key the program does not know fails here.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("k8s/es-actors");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TLS_MOUNT = "/etc/es-actors-tls/";

    @Test
    void theChartLintsStrictly() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
    }

    @Test
    void defaultValuesRenderACpuClusterWithVolumeProbesAndConfig(@TempDir Path dir) throws IOException {
        List<JsonNode> docs = render(t -> t);
        JsonNode service = find(docs, "Service", "es-actors-cluster");
        assertEquals("None", service.at("/spec/clusterIP").asText(), "headless");
        assertTrue(service.at("/spec/publishNotReadyAddresses").asBoolean());
        assertEquals(List.of("akka", "metrics"), names(service.at("/spec/ports")));

        JsonNode coordinator = find(docs, "Job", "es-actors-coordinator");
        JsonNode pod = coordinator.at("/spec/template/spec");
        assertEquals("coordinator", pod.at("/hostname").asText());
        assertEquals("es-actors-cluster", pod.at("/subdomain").asText(), "the pod's DNS name comes from the headless service");
        JsonNode container = pod.at("/containers/0");
        List<String> args = strings(container.at("/args"));
        assertTrue(args.containsAll(List.of("--role", "coordinator")), args.toString());
        assertEquals("akka://es-actors@coordinator.es-actors-cluster.runs.svc.cluster.local:2551",
                args.get(args.indexOf("--seed-nodes") + 1));
        assertEquals("coordinator.es-actors-cluster.runs.svc.cluster.local", args.get(args.indexOf("--host") + 1));
        assertProbes(container);
        String claim = volume(pod, "data").at("/persistentVolumeClaim/claimName").asText();
        JsonNode pvc = find(docs, "PersistentVolumeClaim", claim);
        assertEquals("10Gi", pvc.at("/spec/resources/requests/storage").asText());
        assertEquals("/data", mount(container, "data").at("/mountPath").asText());
        String configMap = volume(pod, "run-config").at("/configMap/name").asText();
        String runFile = find(docs, "ConfigMap", configMap).at("/data/run.conf").asText();
        assertEquals("/etc/es-actors", mount(container, "run-config").at("/mountPath").asText());
        assertEquals("true", coordinator.at("/spec/template/metadata/annotations/prometheus.io~1scrape").asText());

        RunConfig coordinatorRun = load(dir, runFile, args);
        assertEquals("coordinator", coordinatorRun.cluster().role());
        assertEquals("0.0.0.0", coordinatorRun.metrics().host());
        assertEquals(9400, coordinatorRun.metrics().port());
        assertEquals(Path.of("/data/runs/run"), coordinatorRun.dir());

        JsonNode evaluators = find(docs, "Job", "es-actors-evaluators");
        assertEquals(2, evaluators.at("/spec/parallelism").asInt());
        JsonNode evaluator = evaluators.at("/spec/template/spec/containers/0");
        assertProbes(evaluator);
        assertTrue(evaluator.at("/resources/limits/nvidia.com~1gpu").isMissingNode(), "no GPU on the CPU values");
        RunConfig evaluatorRun = load(dir, runFile, strings(evaluator.at("/args")));
        assertEquals("evaluator", evaluatorRun.cluster().role());
        assertEquals("cpu", evaluatorRun.model().device());
        assertEquals(1, evaluatorRun.localEvaluators());

        JsonNode pdb = find(docs, "PodDisruptionBudget", "es-actors-evaluators");
        assertEquals("evaluator", pdb.at("/spec/selector/matchLabels/app.kubernetes.io~1component").asText());
        assertTrue(docs.stream().noneMatch(d -> d.path("kind").asText().equals("ServiceMonitor")), "off by default");
    }

    @Test
    void gpuValuesRequestOneEvaluatorActorPerGpu(@TempDir Path dir) throws IOException {
        List<JsonNode> docs = render(t -> t.withValuesFile(CHART.resolve("values-gpu.yaml")));
        JsonNode evaluators = find(docs, "Job", "es-actors-evaluators");
        JsonNode pod = evaluators.at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");
        assertEquals(8, container.at("/resources/limits/nvidia.com~1gpu").asInt());
        assertEquals("128Gi", container.at("/resources/limits/memory").asText(), "the values' own limits are kept");
        assertTrue(container.at("/image").asText().endsWith(":0.1.0-cuda"), container.at("/image").asText());
        assertEquals("nvidia.com/gpu", pod.at("/tolerations/0/key").asText());
        String runFile = find(docs, "ConfigMap", "es-actors-run").at("/data/run.conf").asText();
        RunConfig run = load(dir, runFile, strings(container.at("/args")));
        assertEquals("cuda", run.model().device());
        assertEquals(8, run.localEvaluators(), "one evaluator actor per GPU");
        assertEquals(4, evaluators.at("/spec/parallelism").asInt());
        JsonNode coordinator = find(docs, "Job", "es-actors-coordinator").at("/spec/template/spec/containers/0");
        assertTrue(coordinator.at("/resources/limits/nvidia.com~1gpu").isMissingNode(), "the coordinator needs no GPU");
        assertEquals("cuda", load(dir, runFile, strings(coordinator.at("/args"))).model().device());
    }

    @Test
    void clusterTlsUsesTheStoresOfASecretAndOnlyTheReleasesPodsReachTheAkkaPort(@TempDir Path dir)
            throws IOException {
        List<JsonNode> docs = render(t -> t);
        String runFile = find(docs, "ConfigMap", "es-actors-run").at("/data/run.conf").asText();
        for (String job : List.of("es-actors-coordinator", "es-actors-evaluators")) {
            JsonNode pod = find(docs, "Job", job).at("/spec/template/spec");
            JsonNode container = pod.at("/containers/0");
            RunConfig.Tls tls = load(dir, runFile, strings(container.at("/args"))).cluster().tls();
            assertTrue(tls.enabled(), job);
            assertEquals(dir.resolve("tls/keystore.p12"), tls.keyStore(), job);
            assertEquals(dir.resolve("tls/truststore.p12"), tls.trustStore(), job);
            assertEquals("env:ES_TLS_PASSWORD", tls.keyStorePassword(), job);
            JsonNode password = named(container.at("/env"), "ES_TLS_PASSWORD");
            assertEquals("es-actors-tls", password.at("/valueFrom/secretKeyRef/name").asText(), job);
            assertEquals("password", password.at("/valueFrom/secretKeyRef/key").asText(), job);
            assertEquals(TLS_MOUNT, mount(container, "tls").at("/mountPath").asText() + "/", job);
            assertTrue(mount(container, "tls").at("/readOnly").asBoolean(), job);
            JsonNode secret = volume(pod, "tls").at("/secret");
            assertEquals("es-actors-tls", secret.at("/secretName").asText(), job);
            assertEquals(List.of("keystore.p12", "truststore.p12"), names(secret.at("/items"), "key"), job);
            assertEquals(0440, secret.at("/defaultMode").asInt(), "readable by the pod's group only");
            assertEquals(pod.at("/securityContext/fsGroup").asInt(), pod.at("/securityContext/runAsGroup").asInt(),
                    "the process's group is the volume's");
        }
        JsonNode policy = find(docs, "NetworkPolicy", "es-actors");
        assertEquals("es-actors", policy.at("/spec/podSelector/matchLabels/app.kubernetes.io~1instance").asText());
        JsonNode akka = policy.at("/spec/ingress/0");
        assertEquals("akka", akka.at("/ports/0/port").asText());
        assertEquals("es-actors", akka.at("/from/0/podSelector/matchLabels/app.kubernetes.io~1instance").asText(),
                "the Akka port admits this release's pods only");
        assertEquals(1, akka.at("/from").size());
        assertEquals("metrics", policy.at("/spec/ingress/1/ports/0/port").asText());
        assertEquals(2, policy.at("/spec/ingress").size(), "nothing else is admitted");

        List<JsonNode> plain = render(t -> t.set("tls.enabled", "false").set("networkPolicy.enabled", "false"));
        JsonNode container = find(plain, "Job", "es-actors-coordinator").at("/spec/template/spec/containers/0");
        assertFalse(load(dir, runFile, strings(container.at("/args"))).cluster().tls().enabled());
        assertTrue(plain.stream().noneMatch(d -> d.path("kind").asText().equals("NetworkPolicy")));
    }

    @Test
    void serviceMonitorAndDashboardAreOptional() throws IOException {
        List<JsonNode> docs = render(t -> t.set("metrics.serviceMonitor.enabled", "true")
                .set("metrics.grafanaDashboard.enabled", "true"));
        JsonNode monitor = find(docs, "ServiceMonitor", "es-actors");
        assertEquals("metrics", monitor.at("/spec/endpoints/0/port").asText());
        assertEquals("cluster", monitor.at("/spec/selector/matchLabels/app.kubernetes.io~1component").asText(),
                "selects the headless service, which carries the metrics port");
        JsonNode dashboard = JSON.readTree(find(docs, "ConfigMap", "es-actors-dashboard").at("/data/es-actors.json").asText());
        assertEquals(JSON.readTree(CHART.resolve("dashboards/es-actors.json").toFile()), dashboard);
    }

    @Test
    void theImageUserMatchesThePodSecurityContext() throws IOException {
        JsonNode pod = find(render(t -> t), "Job", "es-actors-coordinator").at("/spec/template/spec");
        int uid = pod.at("/securityContext/runAsUser").asInt();
        for (String dockerfile : List.of("docker/Dockerfile", "docker/Dockerfile.cuda")) {
            String text = Files.readString(Path.of(dockerfile));
            assertTrue(text.contains("USER " + uid + ":"), dockerfile + " runs as uid " + uid);
        }
    }

    private static List<JsonNode> render(UnaryOperator<TemplateCommand> values) throws IOException {
        String yaml = values.apply(new Helm(CHART).template().withName("es-actors").withNamespace("runs")).call();
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(yaml)) {
            for (JsonNode doc : JSON.readValues(parser, JsonNode.class).readAll()) {
                if (doc != null && doc.has("kind")) {
                    docs.add(doc);
                }
            }
        }
        assertFalse(docs.isEmpty(), yaml);
        return docs;
    }

    /** Parses a container's arguments with the real run command and loads the run file with its overrides. */
    private static RunConfig load(Path dir, String runFile, List<String> args) throws IOException {
        assertEquals("run", args.get(0));
        RunCommand command = new RunCommand();
        // The TLS stores come from a Secret in the pod; here, files at a local path stand in for the mount point.
        Path tls = Files.createDirectories(dir.resolve("tls"));
        for (String store : List.of("keystore.p12", "truststore.p12")) {
            Files.write(tls.resolve(store), new byte[0]);
        }
        new CommandLine(command).parseArgs(args.subList(1, args.size()).stream()
                .map(a -> a.replace("$(POD_IP)", "10.1.2.3").replace(TLS_MOUNT, tls + "/"))
                .toArray(String[]::new));
        assertEquals(Path.of("/etc/es-actors/run.conf"), command.config);
        Path file = Files.writeString(dir.resolve("run-" + System.nanoTime() + ".conf"), runFile);
        return RunConfigLoader.load(file, command.overrides());
    }

    private static void assertProbes(JsonNode container) {
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            assertEquals("/healthz", container.at("/" + probe + "/httpGet/path").asText(), probe);
            assertEquals("metrics", container.at("/" + probe + "/httpGet/port").asText(), probe);
        }
        assertEquals(9400, named(container.at("/ports"), "metrics").at("/containerPort").asInt());
    }

    private static JsonNode find(List<JsonNode> docs, String kind, String name) {
        return docs.stream()
                .filter(d -> d.path("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
    }

    private static JsonNode volume(JsonNode pod, String name) {
        return named(pod.at("/volumes"), name);
    }

    private static JsonNode mount(JsonNode container, String name) {
        return named(container.at("/volumeMounts"), name);
    }

    private static JsonNode named(JsonNode array, String name) {
        for (JsonNode n : array) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("nothing named " + name + " in " + array);
    }

    private static List<String> names(JsonNode array) {
        return names(array, "name");
    }

    private static List<String> names(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
