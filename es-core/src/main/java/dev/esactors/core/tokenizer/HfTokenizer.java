package dev.esactors.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL, fully offline. */
public final class HfTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;

    private HfTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code dir/tokenizer.json}; special tokens (such as a BOS) are added as its post-processor says. */
    public static HfTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": no tokenizer.json");
        }
        TokenizerCheck.verify(file); // a malformed file can make the native library abort the JVM
        return loadUnchecked(file);
    }

    /** Loads {@code file} without the check: only for a file that passed it, or in the checking child itself. */
    static HfTokenizer loadUnchecked(Path file) {
        // DJL reports usage to a cloud endpoint unless opted out; this tool never reaches the network.
        System.setProperty("offline", "true");
        System.setProperty("ai.djl.offline", "true");
        try {
            byte[] bytes = Files.readAllBytes(file);
            // A byte order mark is accepted (editors on Windows write one); the Rust JSON parser refuses it.
            int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB
                    && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
            // What DJL's newInstance(Path, Map) does with the file's stream.
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes, start,
                    bytes.length - start), Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "false",
                    "padding", "false")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load " + file, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a valid tokenizer: " + e.getMessage(), e);
        }
    }

    /** Token ids of {@code text}, with the tokenizer's special tokens (e.g. BOS) where it adds them. */
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** The text of {@code ids}, special tokens skipped. */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
