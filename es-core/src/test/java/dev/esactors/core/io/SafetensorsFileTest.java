package dev.esactors.core.io;

import dev.esactors.core.model.ConfigJson;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.EmbeddedModel;
import dev.esactors.core.model.ModelLoader;
import dev.esactors.core.torch.DType;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.core.torch.TensorData;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors reader refuses hostile files with a clear message, and round-trips what the writer wrote. */
class SafetensorsFileTest {

    @TempDir
    Path dir;

    /** A file of an 8-byte length, the given header text, and {@code dataBytes} bytes counting 0, 1, 2, ... */
    private Path file(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private String messageOf(Path p) {
        return assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(p).close()).getMessage();
    }

    @Test
    void aHeaderNestedTooDeeplyIsRefusedNotAStackOverflow() throws IOException {
        String message = messageOf(file("deep.safetensors", "{\"a\":" + "[".repeat(100_000), 0));
        assertTrue(message.contains("header is not valid JSON: nested too deeply"), message);
    }

    @Test
    void validFileLoadsItsBytes() throws IOException {
        Path p = file("ok.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            float[] values = TensorData.toFloats(f.load("a"));
            ByteBuffer expected = ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4, 5, 6, 7}).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(expected.getFloat(0), values[0]);
            assertEquals(expected.getFloat(4), values[1]);
        }
    }

    @Test
    void aTensorReadInChunksHasItsBytes() throws IOException {
        // Tensors are read a chunk (1 GiB) at a time; a tensor of more than one chunk (a 7B model's bf16 embedding,
        // 1.09 GB) once failed with "ends past the file's end", its later chunks read from twice their offset.
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 7;
        }
        Path p = dir.resolve("chunks.safetensors");
        SafetensorsWriter.write(p, Map.of("before", TensorData.floats(new float[] {1, 2, 3}, 3),
                "t", TensorData.floats(values, 10, 100)), Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            for (long chunk : new long[] {7, 64, 3999, 4000, 1L << 30}) {
                assertArrayEquals(values, TensorData.toFloats(f.load("t", chunk)), "chunks of " + chunk + " bytes");
            }
        }
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertTrue(messageOf(p).contains("shorter than the 8-byte header length"));
    }

    @Test
    void truncatedDataIsRefused() throws IOException {
        Path p = file("cut.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 10);
        String m = messageOf(p);
        assertTrue(m.contains("run past the data section of 10 bytes"), m);
        assertTrue(m.contains("cut.safetensors"), m);
    }

    @Test
    void headerLengthBeyondTheFileIsRefused() throws IOException {
        Path p = dir.resolve("long.safetensors");
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        Files.write(p, b.array());
        assertTrue(messageOf(p).contains("runs past the end of the file"));
        ByteBuffer huge = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L);
        Files.write(p, huge.array());
        assertTrue(messageOf(p).contains("exceeds the limit"));
    }

    @Test
    void offsetsOutOfRangeAreRefused() throws IOException {
        Path p = file("range.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[96,100]}}", 8);
        assertTrue(messageOf(p).contains("run past the data section"));
        Path reversed = file("rev.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8);
        assertTrue(messageOf(reversed).contains("reversed"));
        Path negative = file("neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8);
        assertTrue(messageOf(negative).contains("non-negative integer"));
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        Path p = file("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        String m = messageOf(p);
        assertTrue(m.contains("overlap"), m);
        assertTrue(m.contains("'a'") && m.contains("'b'"), m);
    }

    @Test
    void unknownDtypeIsRefused() throws IOException {
        Path p = file("dtype.safetensors", "{\"a\":{\"dtype\":\"F8_E9\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        String m = messageOf(p);
        assertTrue(m.contains("unknown dtype 'F8_E9'"), m);
    }

    @Test
    void shapeThatDisagreesWithTheByteCountIsRefused() throws IOException {
        Path p = file("bytes.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertTrue(messageOf(p).contains("shape x dtype = 12 bytes, but data_offsets span 8 bytes"));
        Path overflow = file("ovf.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,8]}}", 8);
        assertTrue(messageOf(overflow).contains("overflows"));
    }

    @Test
    void malformedHeaderJsonIsRefused() throws IOException {
        assertTrue(messageOf(file("json.safetensors", "{\"a\":", 0)).contains("not valid JSON"));
        assertTrue(messageOf(file("arr.safetensors", "[1, 2]", 0)).contains("must be a JSON object"));
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path p = file("one.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            String m = assertThrows(SafetensorsFormatException.class, () -> f.load("b")).getMessage();
            assertTrue(m.contains("no tensor named 'b'"), m);
        }
    }

    /** Copies the embedded model's config and tokenizer, with {@code weights} as its model.safetensors. */
    private Path modelWith(Map<String, Tensor> weights) throws IOException {
        Path model = Files.createTempDirectory(dir, "model");
        Path source = EmbeddedModel.directory();
        Files.copy(source.resolve("config.json"), model.resolve("config.json"));
        SafetensorsWriter.write(model.resolve(WeightFiles.SINGLE), weights, Map.of());
        return model;
    }

    private static Map<String, Tensor> embeddedWeights() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(EmbeddedModel.directory().resolve(WeightFiles.SINGLE))) {
            for (String name : f.tensors().keySet()) {
                all.put(name, f.load(name));
            }
        }
        return all;
    }

    /** The message with which loading the embedded config over {@code weights} fails. */
    private String loadError(Map<String, Tensor> weights) throws IOException {
        Path model = modelWith(weights);
        return assertThrows(SafetensorsFormatException.class,
                () -> ModelLoader.load(model, DeviceSpec.CPU, DType.F32)).getMessage();
    }

    @Test
    void modelMissingATensorIsRefusedByName() throws IOException {
        Map<String, Tensor> weights = embeddedWeights();
        weights.remove("model.layers.3.mlp.up_proj.weight");
        String m = loadError(weights);
        assertTrue(m.contains("missing tensor 'model.layers.3.mlp.up_proj.weight'"), m);
    }

    @Test
    void tensorShapeThatDisagreesWithTheConfigIsRefused() throws IOException {
        Map<String, Tensor> weights = embeddedWeights();
        weights.put("model.norm.weight", TensorData.floats(new float[32], 32));
        String m = loadError(weights);
        assertTrue(m.contains("'model.norm.weight' has shape [32] but config.json implies [64]"), m);
    }

    @Test
    void nanOrInfiniteWeightsAreRefusedByName() throws IOException {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Map<String, Tensor> weights = embeddedWeights();
            float[] norm = new float[64];
            norm[7] = bad;
            weights.put("model.norm.weight", TensorData.floats(norm, 64));
            String m = loadError(weights);
            assertTrue(m.contains("tensor 'model.norm.weight' holds NaN or infinite values"), m);
        }
    }

    @Test
    void aShardTheIndexNamesButThatIsMissingIsAnErrorAboutTheIndex() throws IOException {
        Path model = Files.createTempDirectory(dir, "lost-shard");
        Files.copy(EmbeddedModel.directory().resolve("config.json"), model.resolve("config.json"));
        Files.writeString(model.resolve(WeightFiles.INDEX), "{\"weight_map\":{\"model.norm.weight\":"
                + "\"model-00002-of-00002.safetensors\"}}");
        String m = assertThrows(SafetensorsFormatException.class,
                () -> ModelLoader.load(model, DeviceSpec.CPU, DType.F32)).getMessage();
        assertTrue(m.startsWith(model.resolve(WeightFiles.INDEX).toString()) && m.contains("weight_map puts "
                + "'model.norm.weight' in model-00002-of-00002.safetensors, which is not in"), m);
    }

    @Test
    void savedShardsLoadBackBitIdentical() throws IOException {
        Decoder single = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        Path model = Files.createTempDirectory(dir, "saved-shards");
        Files.copy(EmbeddedModel.directory().resolve("config.json"), model.resolve("config.json"));
        int shards = ModelLoader.saveSharded(single, model, 200_000);
        assertTrue(shards >= 5, shards + " shards of at most 200 kB (the embedding, 131 kB, fits one)");
        assertTrue(Files.exists(model.resolve(String.format("model-%05d-of-%05d.safetensors", shards, shards))));
        Decoder sharded = ModelLoader.load(model, DeviceSpec.CPU, DType.F32);
        for (String name : single.parameters().keySet()) {
            assertTrue(single.parameters().get(name).equal(sharded.parameters().get(name)), name);
        }
    }

    @Test
    void loadSaveLoadIsBitIdentical() throws IOException {
        Path source = EmbeddedModel.directory();
        Decoder first = ModelLoader.load(source, DeviceSpec.CPU, DType.F32);
        Path copy = Files.createTempDirectory(dir, "copy");
        Files.copy(source.resolve("config.json"), copy.resolve("config.json"));
        ModelLoader.saveWeights(first, copy.resolve(WeightFiles.SINGLE));
        Decoder second = ModelLoader.load(copy, DeviceSpec.CPU, DType.F32);
        assertEquals(first.parameters().keySet(), second.parameters().keySet());
        for (String name : first.parameters().keySet()) {
            assertTrue(first.parameters().get(name).equal(second.parameters().get(name)), name);
        }
        // and the rewritten file's tensor bytes equal the original file's, tensor by tensor
        try (SafetensorsFile a = SafetensorsFile.open(source.resolve(WeightFiles.SINGLE));
             SafetensorsFile b = SafetensorsFile.open(copy.resolve(WeightFiles.SINGLE))) {
            for (String name : a.tensors().keySet()) {
                assertArrayEquals(TensorData.toFloats(a.load(name)), TensorData.toFloats(b.load(name)), name);
            }
            assertEquals(0, (b.header().dataStart()) % 8, "data section is 8-byte aligned");
        }
        assertEquals(ConfigJson.read(source), ConfigJson.read(copy));
    }

    @Test
    void writtenFilesFollowTheReferenceLoadersLayoutRules() throws IOException {
        // The safetensors reference loader (used by transformers) wants tensors contiguous from offset 0, covering
        // the whole data section, with the header padded so that data starts 8-byte aligned.
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b.bias", TensorData.floats(new float[] {1, 2, 3}, 3));
        tensors.put("a.weight", TensorData.floats(new float[] {4, 5, 6, 7, 8, 9}, 2, 3).to(DType.BF16.scalarType()));
        tensors.put("ids", TensorData.longs(new long[] {10, 11}, 2));
        Path p = dir.resolve("layout.safetensors");
        SafetensorsWriter.write(p, tensors, Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(0, f.header().dataStart() % 8);
            long expected = 0;
            for (TensorEntry e : f.tensors().values()) {
                assertEquals(expected, e.begin(), e.name());
                expected = e.end();
            }
            assertEquals(Files.size(p) - f.header().dataStart(), expected);
            assertEquals(DType.BF16, f.entry("a.weight").dtype());
            assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9}, TensorData.toFloats(f.load("a.weight")));
            assertArrayEquals(new long[] {10, 11}, TensorData.toLongs(f.load("ids")));
        }
    }

    @Test
    void shardedIndexLoadsLikeOneFile() throws IOException {
        Map<String, Tensor> weights = embeddedWeights();
        Path model = Files.createTempDirectory(dir, "sharded");
        Files.copy(EmbeddedModel.directory().resolve("config.json"), model.resolve("config.json"));
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        int i = 0;
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (i % 2 == 0 ? first : second).put(e.getKey(), e.getValue());
            index.append(i == 0 ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(shard).append('"');
            i++;
        }
        index.append("}}");
        SafetensorsWriter.write(model.resolve("model-00001-of-00002.safetensors"), first, Map.of());
        SafetensorsWriter.write(model.resolve("model-00002-of-00002.safetensors"), second, Map.of());
        Files.writeString(model.resolve(WeightFiles.INDEX), index);
        Decoder sharded = ModelLoader.load(model, DeviceSpec.CPU, DType.F32);
        Decoder single = ModelLoader.load(EmbeddedModel.directory(), DeviceSpec.CPU, DType.F32);
        for (String name : single.parameters().keySet()) {
            assertTrue(single.parameters().get(name).equal(sharded.parameters().get(name)), name);
        }
    }
}
