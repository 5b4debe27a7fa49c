package dev.esactors.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

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
        // DJL reports usage to a cloud endpoint unless opted out; this tool never reaches the network.
        System.setProperty("offline", "true");
        System.setProperty("ai.djl.offline", "true");
        try {
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(file, Map.of(
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
