package dev.esactors.train.base;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.esactors.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The tokenizer of a base model made here, as sudoku4-base's: Hugging Face tokenizers' BPE with no merges, so every
 * character is one token; {@code <pad>} 0, {@code <s>} 1 (prepended to every encoding), {@code </s>} 2, {@code <unk>}
 * 3, then the alphabet in order.
 */
public final class CharTokenizer {

    /** The characters of the Countdown (and Sudoku) compact formats, and letters for words around them. */
    public static final String ALPHABET = "\n .:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-*/()=";

    /** Special tokens come first. */
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    private static final String[] SPECIAL = {"<pad>", "<s>", "</s>", "<unk>"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private CharTokenizer() {
    }

    /** The vocabulary's size with {@link #ALPHABET}. */
    public static int vocabSize() {
        return SPECIAL.length + ALPHABET.length();
    }

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}. */
    public static void write(Path dir, int maxLength) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0").putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIAL.length; i++) {
            added.addObject().put("id", i).put("content", SPECIAL[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        // <s> before every sequence (and before the second of a pair)
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>").put("id", "<s>");
        bos.putArray("ids").add(BOS);
        bos.putArray("tokens").add("<s>");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model").put("type", "BPE").putNull("dropout");
        model.put("unk_token", "<unk>").putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < SPECIAL.length; i++) {
            vocab.put(SPECIAL[i], i);
        }
        for (int i = 0; i < ALPHABET.length(); i++) {
            vocab.put(String.valueOf(ALPHABET.charAt(i)), SPECIAL.length + i);
        }
        model.putArray("merges");
        AtomicFiles.write(dir.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        ObjectNode config = JSON.createObjectNode().put("add_bos_token", true).put("add_eos_token", false)
                .put("bos_token", "<s>").put("eos_token", "</s>").put("pad_token", "<pad>").put("unk_token", "<unk>")
                .put("model_max_length", maxLength).put("tokenizer_class", "PreTrainedTokenizerFast")
                .put("clean_up_tokenization_spaces", false);
        AtomicFiles.write(dir.resolve("tokenizer_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
    }
}
