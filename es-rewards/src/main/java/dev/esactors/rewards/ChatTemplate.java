package dev.esactors.rewards;

import java.util.Locale;

/** How a system and user message become the model's prompt text. */
public enum ChatTemplate {
    /** The user message as is (base models), then the assistant prefix. */
    RAW,
    /** Qwen's ChatML: {@code <|im_start|>role\n...<|im_end|>}. */
    CHATML,
    /** Llama 3's header format: {@code <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}. */
    LLAMA3;

    /** The prompt text; an empty {@code system} is left out. */
    public String render(String system, String user, String assistantPrefix) {
        return switch (this) {
            case RAW -> (system.isEmpty() ? "" : system + "\n\n") + user + assistantPrefix;
            case CHATML -> (system.isEmpty() ? "" : "<|im_start|>system\n" + system + "<|im_end|>\n")
                    + "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n" + assistantPrefix;
            case LLAMA3 -> "<|begin_of_text|>"
                    + (system.isEmpty() ? "" : "<|start_header_id|>system<|end_header_id|>\n\n" + system + "<|eot_id|>")
                    + "<|start_header_id|>user<|end_header_id|>\n\n" + user + "<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n\n" + assistantPrefix;
        };
    }

    /** The prompt text of {@code task}'s {@code item}: its user message, and its assistant prefix to continue. */
    public <I extends TaskItem> String render(String system, Task<I> task, I item) {
        return render(system, task.userPrompt(item), task.assistantPrefix(item));
    }

    /** Parses {@code raw}, {@code chatml} (or {@code qwen}), {@code llama3}. */
    public static ChatTemplate parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "raw", "none" -> RAW;
            case "chatml", "qwen" -> CHATML;
            case "llama3", "llama-3" -> LLAMA3;
            default -> throw new IllegalArgumentException("chat template must be raw, chatml or llama3, got '" + name + "'");
        };
    }
}
