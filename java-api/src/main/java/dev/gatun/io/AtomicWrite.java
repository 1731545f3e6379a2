package dev.gatun.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes a file through a temporary sibling that is moved over the target only once it is
 * complete, so a failure part way (a full disk, an exception in a writer) never leaves a
 * partial file at the target: the target is either the old file or the whole new one.
 */
final class AtomicWrite {

    /** Receives the channel of the temporary file. */
    interface Body {
        void write(FileChannel channel) throws IOException;
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicWrite() {}

    /**
     * Runs {@code body} on a temporary file beside {@code target}, flushes it to disk and
     * renames it to {@code target} atomically, replacing any existing file.
     *
     * @throws UncheckedIOException if writing or renaming fails; the temporary file is deleted
     */
    static void write(Path target, Body body) {
        Path absolute = target.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(absolute.getParent());
            // not Files.createTempFile: its owner-only permissions would stick to the target
            Path candidate = absolute.resolveSibling("." + absolute.getFileName() + "."
                    + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            FileChannel channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            tmp = candidate;
            try (channel) {
                body.write(channel);
                channel.force(true);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("writing " + target + " failed: "
                        + io.getMessage(), io);
            }
            if (e instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            throw (Error) e;
        }
    }

    /** Writes {@code bytes} to {@code target} atomically (see {@link #write(Path, Body)}). */
    static void write(Path target, byte[] bytes) {
        write(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
    }

    /** Writes every remaining byte of {@code buffer}; a channel may write fewer per call. */
    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
