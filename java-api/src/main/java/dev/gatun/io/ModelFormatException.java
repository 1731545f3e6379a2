package dev.gatun.io;

import java.nio.file.Path;

/**
 * A model file is malformed or uses something Gatun does not read: the message names the
 * file, the tensor (when there is one) and the rule that failed, with the actual values.
 *
 * <p>Example message: {@code model.safetensors: tensor 'wq': data_offsets [0, 12] hold 12
 * bytes, shape [2, 2] of F32 needs 16}.
 *
 * <p>I/O failures (a missing file, a read error) are not format errors and surface as
 * {@link java.io.UncheckedIOException} instead.
 */
public final class ModelFormatException extends RuntimeException {
    private final String file;
    private final String tensor;

    /** A problem with {@code file} as a whole (its header, its size). */
    public ModelFormatException(String file, String problem) {
        this(file, null, problem, null);
    }

    /** A problem with one tensor of {@code file}; {@code tensor} may be null. */
    public ModelFormatException(String file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    /** As {@link #ModelFormatException(String, String, String)}, keeping the cause. */
    public ModelFormatException(String file, String tensor, String problem, Throwable cause) {
        super(message(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** A problem with {@code file} as a whole. */
    public ModelFormatException(Path file, String problem) {
        this(String.valueOf(file), null, problem, null);
    }

    /** A problem with one tensor of {@code file}; {@code tensor} may be null. */
    public ModelFormatException(Path file, String tensor, String problem) {
        this(String.valueOf(file), tensor, problem, null);
    }

    /** The file (or stream description) that is malformed. */
    public String file() {
        return file;
    }

    /** The tensor the problem is about, or null if it concerns the whole file. */
    public String tensor() {
        return tensor;
    }

    private static String message(String file, String tensor, String problem) {
        return tensor == null
                ? file + ": " + problem
                : file + ": tensor '" + tensor + "': " + problem;
    }
}
