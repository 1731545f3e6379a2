package dev.gatun;

/** Which dimensions of a head rotary position embedding rotates together. */
public enum RopeStyle {
    /** Pairs (2i, 2i+1): llama2.c, GPT-J, Meta's original Llama code. */
    INTERLEAVED,
    /** Pairs (i, i + D/2): HF transformers' Llama, GPT-NeoX. */
    HALF_SPLIT
}
