package dev.esactors.cli.bench;

import picocli.CommandLine.Option;

import java.util.List;

/** What a decoding benchmark decodes: batch sizes, prompt length, tokens per sequence, and how often. */
final class DecodeShape {

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,8,64", description = "(default: ${DEFAULT-VALUE})")
    List<Integer> batchSizes;

    @Option(names = "--new-tokens", defaultValue = "64", description = "tokens generated per sequence (default: "
            + "${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--repeats", defaultValue = "3", description = "timed runs (rounds) per point; the best is kept "
            + "(default: ${DEFAULT-VALUE})")
    int repeats;

    /** Refuses a shape nothing can decode (a batch of 0 rows, no new tokens), naming the option. */
    void check(picocli.CommandLine command) {
        if (batchSizes.isEmpty() || batchSizes.stream().anyMatch(b -> b < 1)) {
            throw new picocli.CommandLine.ParameterException(command, "--batch-sizes must be >= 1 each, got "
                    + batchSizes);
        }
        if (newTokens < 1 || promptTokens < 1 || repeats < 1) {
            throw new picocli.CommandLine.ParameterException(command, "--new-tokens, --prompt-tokens and --repeats "
                    + "must be >= 1, got " + newTokens + ", " + promptTokens + " and " + repeats);
        }
    }
}
