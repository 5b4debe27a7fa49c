package dev.esactors.core.state;

import dev.esactors.core.es.EsConfig;
import dev.esactors.core.es.EsModel;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.state.HfExport;
import dev.esactors.core.tokenizer.HfTokenizer;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An updated model exports as a Hugging Face directory that loads back with the same weights and tokens. */
class HfExportTest {

    @Test
    void exportedDirectoryLoadsBackAndDecodesLikeTheReplica(@TempDir Path dir) throws Exception {
        Path base = EmbeddedModel.directory();
        EsConfig config = EsConfig.paper(3).withPopulation(4, 0.02, 0.01);
        EsModel model = EsModel.create(config, ModelLoader.load(base, DeviceSpec.CPU, DType.F32), DType.F32);
        model.replica().apply(new Update(0, new long[] {5, 6, 7, 8}, new int[] {1, 1, 1, 1},
                new double[] {1, -1, 0.5, -0.5}, new double[] {0, 0, 0, 0}, 0.01, 0.02));
        Path out = dir.resolve("export");
        HfExport.write(out, base, model.replica().master(), DType.BF16);

        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"torch_dtype\" : \"bfloat16\""));
        assertEquals(ConfigJson.read(base).hiddenSize(), ConfigJson.read(out).hiddenSize());
        Decoder loaded = ModelLoader.load(out, DeviceSpec.CPU, DType.F32);
        for (String name : loaded.parameters().keySet()) {
            assertTrue(model.replica().master().get(name).to(DType.BF16.scalarType()).to(DType.F32.scalarType())
                    .equal(loaded.parameters().get(name)), name);
        }
        Decoder exportedF32 = export(dir.resolve("f32"), base, model);
        int[] prompt;
        try (HfTokenizer tokenizer = HfTokenizer.load(out)) {
            prompt = tokenizer.encode("Once upon a time");
        }
        int[] fromReplica = new BatchGenerator(model.decoder()).generate(List.of(prompt), 24, Set.of(),
                SamplingConfig.GREEDY).get(0).tokens();
        int[] fromExport = new BatchGenerator(exportedF32).generate(List.of(prompt), 24, Set.of(),
                SamplingConfig.GREEDY).get(0).tokens();
        assertArrayEquals(fromReplica, fromExport);
    }

    private static Decoder export(Path out, Path base, EsModel model) {
        HfExport.write(out, base, model.replica().master(), DType.F32);
        return ModelLoader.load(out, DeviceSpec.CPU, DType.F32);
    }
}
