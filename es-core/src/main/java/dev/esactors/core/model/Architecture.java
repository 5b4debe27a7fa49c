package dev.esactors.core.model;

/** The decoder families one {@link Decoder} runs; they differ only in flags of {@link ModelConfig}. */
public enum Architecture {
    LLAMA("llama"),
    QWEN2("qwen2");

    private final String modelType;

    Architecture(String modelType) {
        this.modelType = modelType;
    }

    /** The {@code model_type} value of a Hugging Face {@code config.json}. */
    public String modelType() {
        return modelType;
    }

    /** The architecture of a {@code model_type}; anything else is an error naming the supported ones. */
    public static Architecture fromModelType(String modelType) {
        for (Architecture a : values()) {
            if (a.modelType.equals(modelType)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unsupported model_type '" + modelType + "'; supported: llama, qwen2");
    }
}
