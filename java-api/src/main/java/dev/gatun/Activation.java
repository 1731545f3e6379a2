package dev.gatun;

/** Pointwise activations; each {@linkplain #code() code} is its {@code gatun_activation}. */
public enum Activation {
    /** Identity. */
    NONE(0),
    /** GELU, exact form: x/2 (1 + erf(x / sqrt 2)). BERT and MiniLM use this one. */
    GELU_ERF(1),
    /** GELU, tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    GELU_TANH(2),
    /** SiLU (swish): x sigmoid(x). Llama's SwiGLU uses this one. */
    SILU(3);

    private final int code;

    Activation(int code) {
        this.code = code;
    }

    /** The {@code gatun_activation} value in the C ABI. */
    public int code() {
        return code;
    }
}
