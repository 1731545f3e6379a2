package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * A lookup table of row vectors, one per token id.
 *
 * <pre>{@code
 * Embedding tokens = new Embedding(table);                  // table [V, C]
 * Tensor x = tokens.forward(ops, Tensors.ints(ops, ids, B, T)); // [B, T, C]
 * }</pre>
 */
public final class Embedding {
    private final Tensor table;

    /**
     * An embedding over {@code table} [V, C] (used in place, never copied).
     *
     * @throws IllegalArgumentException if the table is not 2-D floating point
     */
    public Embedding(Tensor table) {
        if (table.rank() != 2 || !table.dtype().isFloating()) {
            throw new IllegalArgumentException("Embedding: table must be floating [V, C], got "
                    + table.describe());
        }
        this.table = table;
    }

    /** The table, [V, C]. */
    public Tensor table() {
        return table;
    }

    /** V, the number of rows. */
    public long vocabulary() {
        return table.dim(0);
    }

    /** C, the width of a row. */
    public long width() {
        return table.dim(1);
    }

    /**
     * Gathers one row per id.
     *
     * @param ids I32 [...], each in [0, V)
     * @return [..., C] in the table's dtype, owned by {@code ops.scope()}
     * @throws IllegalArgumentException if ids is not I32 or an id is out of range
     */
    public Tensor forward(Ops ops, Tensor ids) {
        if (ids.dtype() != DType.I32) {
            throw new IllegalArgumentException("Embedding: ids must be I32, got "
                    + ids.describe());
        }
        return ops.embedding(table, ids);
    }
}
