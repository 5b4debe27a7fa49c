package dev.esactors.cli;

/** The check `eval` and `generate` make of --max-new-tokens against the model they loaded. */
final class NewTokens {

    private NewTokens() {
    }

    /**
     * {@code maxNewTokens}, if it leaves room for a prompt in a context of {@code context} positions; otherwise every
     * prompt would score as an empty answer (and 2^31 - 1 overflowed into a negative tensor size in LibTorch).
     * {@code model} names the model in the message ("the model", or a label).
     */
    static int checked(int maxNewTokens, int context, String model) {
        if (maxNewTokens >= context) {
            throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + " leaves no room for a prompt in "
                    + model + "'s context of " + context + " tokens (at most " + (context - 1) + ")");
        }
        return maxNewTokens;
    }
}
