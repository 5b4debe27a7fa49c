package dev.esactors.cli;

import dev.esactors.cli.options.RuntimeOptions;
import dev.esactors.core.model.BatchGenerator;
import dev.esactors.core.model.Completion;
import dev.esactors.core.model.Decoder;
import dev.esactors.core.model.SamplingConfig;
import dev.esactors.core.tokenizer.HfTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code es-actors generate}: decode completions of one or more prompts as one batch. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate completions (greedy by default) for one or more prompts, batched.")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "",
            description = "prompt text; repeat for a batch; empty means BOS only (default: empty)")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--ids", description = "print the prompt and completion token ids instead of text")
    boolean ids;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // Named as the user typed them (the sampler's own errors say top_p and temperature)
        SamplingConfig.checkTopP(topP, "--top-p");
        SamplingConfig.checkTemperature(temperature, "--temperature");
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        }
        SamplingConfig sampling = new SamplingConfig(temperature, topP, seed);
        Decoder decoder = runtime.loadModel();
        NewTokens.checked(maxNewTokens, decoder.config().maxPositions(), "the model");
        PrintWriter out = spec.commandLine().getOut();
        try (HfTokenizer tokenizer = HfTokenizer.load(runtime.modelDir())) {
            List<int[]> encoded = new ArrayList<>();
            for (String p : prompts) {
                encoded.add(encode(tokenizer, decoder, p));
            }
            List<Completion> completions = new BatchGenerator(decoder).generate(encoded, maxNewTokens,
                    new HashSet<>(decoder.config().eosTokenIds()), sampling);
            for (Completion c : completions) {
                if (ids) {
                    out.println("prompt: " + join(c.prompt()));
                    out.println("completion: " + join(c.tokens()));
                } else {
                    out.println(tokenizer.decode(c.tokens()));
                }
            }
        }
        out.flush();
        return 0;
    }

    /** An empty prompt is the BOS token alone; otherwise the tokenizer decides about special tokens. */
    private static int[] encode(HfTokenizer tokenizer, Decoder decoder, String prompt) {
        int bos = decoder.config().bosTokenId();
        if (prompt.isEmpty()) {
            if (bos < 0) {
                throw new IllegalArgumentException("an empty prompt means BOS only, but config.json has no bos_token_id");
            }
            return new int[] {bos};
        }
        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt '" + prompt + "' encodes to no tokens");
        }
        return ids;
    }

    private static String join(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
