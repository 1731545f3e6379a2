package dev.gatun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Reuse, limits, zeroing and lifetimes of {@link MemoryPool}-backed scopes. */
class MemoryPoolTest {

    @Test
    void closedScopeGivesItsBlocksToTheNextScope() {
        try (MemoryPool pool = MemoryPool.create(1 << 20)) {
            long address;
            try (Scope first = Scope.open(pool)) {
                address = first.allocateUninitialized(100_000, 64).address();
            }
            assertEquals(MemoryPool.blockSize(100_000), pool.cachedBytes());
            try (Scope second = Scope.open(pool)) {
                // a request up to the block's size takes the same block back
                assertEquals(address, second.allocateUninitialized(99_000, 64).address());
                assertEquals(0, pool.cachedBytes());
                // a second request of that size needs a new block
                assertTrue(second.allocateUninitialized(99_000, 64).address() != address);
            }
            assertEquals(1, pool.hits());
            assertEquals(2, pool.misses());
        }
    }

    @Test
    void aBlockMoreThanTwiceTheRequestIsNotUsed() {
        try (MemoryPool pool = MemoryPool.create(1 << 20)) {
            try (Scope s = Scope.open(pool)) {
                s.allocateUninitialized(200_000, 64);
            }
            try (Scope s = Scope.open(pool)) {
                s.allocateUninitialized(50_000, 64);
            }
            assertEquals(0, pool.hits(), "a 200 kB block must not serve 50 kB");
        }
    }

    @Test
    void allocateZeroesAReusedBlockAndUninitializedDoesNot() {
        try (MemoryPool pool = MemoryPool.create(1 << 20)) {
            try (Scope s = Scope.open(pool)) {
                s.allocateUninitialized(4096, 64).fill((byte) 0x7f);
            }
            try (Scope s = Scope.open(pool)) {
                MemorySegment zeroed = s.allocate(4096, 64);
                for (long i = 0; i < 4096; i++) {
                    assertEquals(0, zeroed.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
                }
                zeroed.fill((byte) 0x55);
            }
            try (Scope s = Scope.open(pool)) {
                // the pool hands the block back as its last user left it
                assertEquals(0x55, s.allocateUninitialized(4096, 64).get(ValueLayout.JAVA_BYTE,
                        17));
            }
        }
    }

    @Test
    void blocksPastTheLimitAreFreedNotCached() {
        long before = MemoryStats.pooledHostBytes();
        try (MemoryPool pool = MemoryPool.create(8192)) {
            try (Scope s = Scope.open(pool)) {
                s.allocateUninitialized(4096, 64);
                s.allocateUninitialized(4096, 64);
                s.allocateUninitialized(4096, 64);
            }
            assertEquals(8192, pool.cachedBytes());
            assertEquals(before + 8192, MemoryStats.pooledHostBytes());
        }
        assertEquals(before, MemoryStats.pooledHostBytes());
    }

    @Test
    void lifetimes() {
        MemoryPool pool = MemoryPool.create(1 << 20);
        Scope open = Scope.open(pool);
        MemorySegment segment = open.allocateUninitialized(10_000, 64);
        Tensor t = Tensor.allocate(open, DType.F32, 16);

        // closing the pool first is allowed: the open scope's blocks are freed when it closes
        pool.close();
        pool.close(); // twice is a no-op
        assertFalse(pool.isOpen());
        assertThrows(IllegalStateException.class, () -> Scope.open(pool));
        assertThrows(IllegalStateException.class, () -> open.allocate(64, 64));
        segment.set(ValueLayout.JAVA_INT, 0, 1);
        open.close();
        assertEquals(0, pool.cachedBytes());

        // memory of a closed scope is unreachable, pooled or not
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_INT, 0));
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> MemoryPool.create(-1));
        try (MemoryPool pool = MemoryPool.create(1 << 20); Scope s = Scope.open(pool)) {
            assertThrows(IllegalArgumentException.class, () -> s.allocate(-1, 64));
            assertThrows(IllegalArgumentException.class, () -> s.allocate(64, 128));
            assertThrows(IllegalArgumentException.class, () -> s.allocate(64, 3));
            assertEquals(0, s.allocate(0, 64).byteSize());
        }
    }
}
