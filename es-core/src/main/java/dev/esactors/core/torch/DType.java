package dev.esactors.core.torch;

import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.Arrays;
import java.util.Locale;

/** The tensor element types of the safetensors format, with their sizes and LibTorch scalar types. */
public enum DType {
    F64("F64", 8, ScalarType.Double),
    F32("F32", 4, ScalarType.Float),
    F16("F16", 2, ScalarType.Half),
    BF16("BF16", 2, ScalarType.BFloat16),
    I64("I64", 8, ScalarType.Long),
    I32("I32", 4, ScalarType.Int),
    I16("I16", 2, ScalarType.Short),
    I8("I8", 1, ScalarType.Char),
    U8("U8", 1, ScalarType.Byte),
    BOOL("BOOL", 1, ScalarType.Bool);

    private final String safetensorsName;
    private final int bytes;
    private final ScalarType scalarType;

    DType(String safetensorsName, int bytes, ScalarType scalarType) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
        this.scalarType = scalarType;
    }

    /** The name in a safetensors header, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    public int bytes() {
        return bytes;
    }

    public ScalarType scalarType() {
        return scalarType;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** Parses a safetensors dtype name; an unknown name is an error that lists the known ones. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "', expected one of "
                + Arrays.toString(values()));
    }

    /** Parses a user-facing name: {@code f32}/{@code float32}, {@code bf16}/{@code bfloat16}, {@code f16}/{@code float16}. */
    public static DType parseWorking(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32", "float" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            default -> throw new IllegalArgumentException(
                    "working dtype must be f32, bf16 or f16, got '" + text + "'");
        };
    }

    /** The dtype of a LibTorch scalar type. */
    public static DType of(ScalarType type) {
        // Enums returned by JavaCPP are not always the interned constants: compare the native value.
        for (DType d : values()) {
            if (d.scalarType.value == type.value) {
                return d;
            }
        }
        throw new IllegalArgumentException("no safetensors dtype for LibTorch type " + type);
    }
}
