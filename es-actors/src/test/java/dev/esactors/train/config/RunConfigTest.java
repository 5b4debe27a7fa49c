package dev.esactors.train.config;

import com.typesafe.config.ConfigFactory;
import dev.esactors.core.es.EsReplica;
import dev.esactors.core.es.MasterMemory;
import dev.esactors.core.es.update.AlphaSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run file is validated up front; every error names the key. */
class RunConfigTest {

    @TempDir
    Path dir;

    private String error(String hocon) throws IOException {
        Path file = Files.writeString(dir.resolve("run.conf"), hocon);
        return assertThrows(IllegalArgumentException.class,
                () -> RunConfigLoader.load(file, ConfigFactory.empty())).getMessage();
    }

    @Test
    void defaultsDescribeTheEmbeddedDemo() {
        RunConfig c = RunConfigLoader.load(null, ConfigFactory.empty());
        assertNull(c.model().path(), "the embedded model");
        assertEquals("keyword", c.task().name());
        assertEquals(16, c.es().populationSize());
        assertTrue(c.cluster().standalone());
    }

    @Test
    void runLevelSettingsLiveInTheRunBlockAndTheirOldNamesStillLoad() throws IOException {
        RunConfig now = RunConfigLoader.load(null, ConfigFactory.parseString(
                "run { seed = 11, control = shuffled-rewards }"));
        assertEquals(11, now.runSeed());
        assertTrue(now.shuffledControl());
        assertTrue(now.source().notes().isEmpty(), now.source().notes().toString());

        // A run file (or a run directory's run.conf) written before: the same run, the same ES hash, and a note.
        Path old = Files.writeString(dir.resolve("old.conf"), "es { seed = 11, control = shuffled-rewards }");
        RunConfig legacy = RunConfigLoader.load(old, ConfigFactory.empty());
        assertEquals(now.es().hash(), legacy.es().hash(), "old run directories keep their config hash");
        assertEquals(2, legacy.source().notes().size(), legacy.source().notes().toString());
        assertTrue(legacy.source().notes().get(0).contains("es.control is now run.control"),
                legacy.source().notes().toString());
        assertTrue(legacy.source().hocon().contains("seed=11") && !legacy.source().hocon().contains("es {"),
                "run.conf is saved with the new names: " + legacy.source().hocon());

        assertTrue(error("es.seed = 3\nrun.seed = 4").contains("es.seed (the old name of run.seed) = 3 disagrees "
                + "with run.seed = 4"));
        assertEquals(3, RunConfigLoader.load(old, ConfigFactory.parseString("run.seed = 3, es.seed = 3")).runSeed(),
                "both names with one value are the same setting");
        assertTrue(error("run.control = maybe").startsWith(dir.resolve("run.conf") + ": run.control must be none or "
                + "shuffled-rewards"));
    }

    @Test
    void taskOptionsEnterTheRunIdentityInSortedOrder() {
        // The identity is hashed into every checkpoint; an order that changes between JVMs (Map.copyOf's) made
        // a resumed sudoku4 run refuse its own checkpoints.
        RunConfig c = RunConfigLoader.load(null, ConfigFactory.parseString(
                "task { name = sudoku, options { prompt = compact, partial = 0.2, generate = 64, blanks = 8 } }"));
        assertTrue(c.identity().contains("options={blanks=8, generate=64, partial=0.2, prompt=compact}"),
                c.identity());
    }

    @Test
    void aCosineScheduleDecaysOverTheRunUnlessToldOtherwise() {
        RunConfig c = RunConfigLoader.load(null, ConfigFactory.parseString(
                "run.iterations = 40\nes { alpha = 0.01, alpha-schedule = cosine, alpha-final = 0.002 }"));
        assertEquals(new AlphaSchedule.Cosine(0.002, 40), c.es().alphaSchedule());
        assertEquals(0.01, c.es().alphaAt(0), 1e-15);
        assertEquals(0.002, c.es().alphaAt(40), 1e-15);
        RunConfig fixed = RunConfigLoader.load(null, ConfigFactory.parseString(
                "run.iterations = 40\nes { alpha-schedule = cosine, alpha-decay-iterations = 10 }"));
        assertEquals(new AlphaSchedule.Cosine(0, 10), fixed.es().alphaSchedule());
        assertEquals(AlphaSchedule.CONSTANT, RunConfigLoader.load(null, ConfigFactory.empty()).es().alphaSchedule());
    }

    @Test
    void finalWeightsAreChosenOnlyOnASeparateValidationDataset() throws IOException {
        String d1 = Path.of("../data/sudoku/d1_4x4_test_sudoku.csv").toString();
        String validation = Path.of("../data/sudoku/validation_4x4_1000.csv").toString();
        String sudoku = "task.name = sudoku\neval.datasets = [\"" + d1 + "\"]\n";
        RunConfig c = RunConfigLoader.load(null, ConfigFactory.parseString(sudoku + "eval { every = 5, validation = \""
                + validation + "\", final-weights = best }"));
        assertEquals(Path.of(validation), c.eval().validation());
        assertEquals(RunConfig.FinalWeights.BEST, c.eval().finalWeights());
        assertEquals(RunConfig.FinalWeights.LAST, RunConfigLoader.load(null, ConfigFactory.empty()).eval().finalWeights());
        assertTrue(error(sudoku + "eval { every = 5, final-weights = best }")
                .contains("eval.final-weights = best needs eval.validation"));
        assertTrue(error(sudoku + "eval { every = 5, validation = \"" + d1 + "\" }").contains("is also in eval.datasets"));
        assertTrue(error(sudoku + "eval.validation = \"" + validation + "\"").contains("eval.validation needs eval.every"));
        assertTrue(error(sudoku + "eval { every = 5, validation = \"no/such.csv\" }")
                .contains("eval.validation: 'no/such.csv' not found"));
        assertTrue(error("eval.final-weights = first").contains("eval.final-weights must be last or best"));
    }

    @Test
    void theNoiseCacheIsASizeOrAutoAndNotPartOfTheRunIdentity() throws IOException {
        RunConfig auto = RunConfigLoader.load(null, ConfigFactory.empty());
        assertEquals(EsReplica.NOISE_CACHE_DEFAULT, auto.model().noiseCache());
        RunConfig sized = RunConfigLoader.load(null, ConfigFactory.parseString("model.noise-cache = 512 MiB"));
        assertEquals(512L << 20, sized.model().noiseCache());
        assertEquals(0, RunConfigLoader.load(null, ConfigFactory.parseString("model.noise-cache = 0")).model().noiseCache());
        assertEquals(auto.identity(), sized.identity(), "a resume with another cache size is the same run");
        assertTrue(error("model.noise-cache = lots").contains("model.noise-cache must be a size (512 MiB, 0 = none) "
                + "or auto, got 'lots'"), error("model.noise-cache = lots"));
        assertTrue(error("model.noise-cache = -1 MiB").contains("model.noise-cache must be a size"));
    }

    @Test
    void theMasterIsInMemoryInHostMemoryOrMappedAndNotPartOfTheRunIdentity() throws IOException {
        RunConfig memory = RunConfigLoader.load(null, ConfigFactory.empty());
        assertEquals(MasterMemory.IN_MEMORY, memory.model().master());
        RunConfig mapped = RunConfigLoader.load(null, ConfigFactory.parseString(
                "model { master = mapped, master-dir = \"" + dir + "\" }"));
        assertEquals(new MasterMemory.Mapped(dir), mapped.model().master());
        assertEquals(new MasterMemory.Mapped(Path.of(System.getProperty("java.io.tmpdir"))), RunConfigLoader.load(null,
                ConfigFactory.parseString("model.master = mapped")).model().master(), "by default, the temp dir");
        assertEquals(memory.identity(), mapped.identity(), "a resume with the master elsewhere is the same run");
        assertEquals(new MasterMemory.Host(), RunConfigLoader.load(null, ConfigFactory.parseString(
                "model.master = host")).model().master());
        assertTrue(error("model.master = disk").contains("model.master must be memory, host or mapped, got 'disk'"));
        Path file = Files.writeString(dir.resolve("a-file"), "");
        assertTrue(error("model { master = mapped, master-dir = \"" + file + "\" }").contains("model.master-dir: '"
                + file + "' is not a directory"));
        assertTrue(error("method = grpo\nmodel.master = mapped").contains("GRPO trains its weights in memory"));
        assertTrue(error("method = grpo\nmodel.master = host").contains("GRPO trains its weights in memory"));
    }

    @Test
    void badConfigsNameTheKey() throws IOException {
        assertTrue(error("es { populaton = 30 }").contains("unknown key 'es.populaton'"));
        assertTrue(error("es.sigma = \"big\"").contains("es.sigma has the wrong type"));
        assertTrue(error("model.path = \"/no/such/model\"").contains("model.path: no config.json in '/no/such/model'"));
        assertTrue(error("es.population = 0").contains("es.population"));
        assertTrue(error("es { population = 7, antithetic = true }").contains("even population"));
        assertTrue(error("task.name = chess").contains("unknown task 'chess'"));
        assertTrue(error("task.options.variant = fancy\ntask.name = countdown").contains("paper or tinyzero"));
        assertTrue(error("run.iterations = -3").contains("run.iterations must be >= 1"));
        // issue 37, case 12: an empty run.dir (--run-dir '') was the current directory
        assertTrue(error("run.dir = \"\"").contains("run.dir is empty"));
        assertTrue(error("run.core-seconds = -1").contains("run.core-seconds must be a finite number >= 0"));
        assertTrue(error("cluster.role = boss").contains("cluster.role"));
        assertTrue(error("es.shaping = best").contains("es.shaping"));
        assertTrue(error("task.template = gpt").contains("task.template"));
        assertTrue(error("es.alpha-schedule = linear").contains("es.alpha-schedule must be constant or cosine"));
        assertTrue(error("es { alpha-schedule = cosine, alpha-final = -1 }").contains("es.alpha-final"));
        assertTrue(error("es { sigma = 0.1 ").contains("run.conf"), "a syntax error names the file");
        String missing = assertThrows(IllegalArgumentException.class,
                () -> RunConfigLoader.load(dir.resolve("absent.conf"), ConfigFactory.empty())).getMessage();
        assertTrue(missing.contains("run file not found"), missing);
    }

    @Test
    void includesStayLocal() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger fetched = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/", exchange -> {
            fetched.incrementAndGet();
            byte[] body = "run.iterations = 7".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/remote.conf";
            for (String include : new String[] {"include url(\"" + url + "\")", "include \"" + url + "\""}) {
                String refused = error(include + "\nrun.iterations = 2\n");
                assertTrue(refused.contains("include of '" + url + "' refused"), refused);
            }
            assertTrue(fetched.get() == 0, "nothing was fetched");
        } finally {
            server.stop(0);
        }
        Files.writeString(dir.resolve("base.conf"), "run.iterations = 9\n");
        Path local = Files.writeString(dir.resolve("local.conf"), "include \"base.conf\"\nes.sigma = 0.02\n");
        assertTrue(RunConfigLoader.load(local, ConfigFactory.empty()).iterations() == 9, "a local include is read");
        Path noSuffix = Files.writeString(dir.resolve("short.conf"), "include \"base\"\n");
        assertTrue(RunConfigLoader.load(noSuffix, ConfigFactory.empty()).iterations() == 9, "HOCON's suffixes");
        for (String include : new String[] {"include \"nothere.conf\"", "include file(\"nothere.conf\")"}) {
            String missing = error(include + "\nrun.iterations = 2\n");
            assertTrue(missing.contains("include of '") && missing.contains("not found"), missing);
        }
        // A file named relative to the working directory, as on a command line.
        Path relative = Path.of("").toAbsolutePath().relativize(Files.writeString(dir.resolve("bare.conf"),
                "include \"nothere.conf\"\n"));
        String missing = assertThrows(IllegalArgumentException.class,
                () -> RunConfigLoader.load(relative, ConfigFactory.empty())).getMessage();
        assertTrue(missing.contains("include of 'nothere.conf'"), missing);
    }

    @Test
    void seedNodesMustBeNodeAddressesAndAnEvaluatorNeedsThem() throws Exception {
        String bad = error("cluster { role = \"coordinator\", seed-nodes = [\"not-a-uri\"] }\n");
        assertTrue(bad.contains("cluster.seed-nodes: 'not-a-uri' is not a node address like akka://es-actors@"), bad);
        String lonely = error("cluster { role = \"evaluator\" }\n");
        assertTrue(lonely.contains("cluster.seed-nodes is empty: an evaluator node joins"), lonely);
        Path ok = Files.writeString(dir.resolve("ok.conf"), "cluster { role = \"evaluator\", seed-nodes = "
                + "[\"akka://es-actors@10.0.0.5:2551\", \"akka://es-actors@[::1]:2552\"] }\n");
        assertEquals(2, RunConfigLoader.load(ok, ConfigFactory.empty()).cluster().seedNodes().size());
    }

    @Test
    void tlsPasswordsAreNamedSourcesNeverThePasswordAndTheStoresMustExist() throws Exception {
        String literal = error("cluster.tls.key-store-password = \"s3cret!\"\n");
        assertTrue(literal.contains("cluster.tls.key-store-password must say where the password is, as env:VAR or "
                + "file:PATH"), literal);
        assertTrue(!literal.contains("s3cret"), "the password is not repeated: " + literal);
        String noStore = error("cluster.tls.enabled = true\n");
        assertTrue(noStore.contains("cluster.tls.key-store is required when cluster.tls.enabled is on"), noStore);
        String absent = error("cluster.tls { enabled = true, key-store = \"nothere.p12\", trust-store = \"x\" }\n");
        assertTrue(absent.contains("cluster.tls.key-store: 'nothere.p12' not found"), absent);
        RunConfig.Tls off = RunConfigLoader.load(null, ConfigFactory.empty()).cluster().tls();
        assertTrue(!off.enabled() && off.keyStorePassword().equals("env:ES_TLS_PASSWORD"), off.toString());
    }
}
