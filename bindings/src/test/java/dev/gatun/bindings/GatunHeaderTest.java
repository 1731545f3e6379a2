package dev.gatun.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@link gatun_h} binds exactly the C ABI of {@code native/include/gatun.h}: every
 * {@code GATUN_API} prototype, with the same name, arity and argument and return layouts, and
 * nothing the header lacks; and the same constants.
 */
class GatunHeaderTest {
    private static final Pattern CONSTANT =
            Pattern.compile("\\b(GATUN_[A-Z0-9_]+)\\s*=\\s*(\\d+)");
    private static final Pattern DEFINE =
            Pattern.compile("#define\\s+(GATUN_ABI_VERSION)\\s+(\\d+)");

    private static CHeader header;

    @BeforeAll
    static void parseHeader() throws IOException {
        header = CHeader.gatun(Path.of(System.getProperty("gatun.header",
                "../native/include/gatun.h")));
        assertTrue(header.prototypes().size() >= 13, "parsed only "
                + header.prototypes().keySet());
    }

    @Test
    void bindsEveryFunctionOfTheHeaderAndNothingElse() {
        assertEquals(new TreeSet<>(header.prototypes().keySet()),
                CHeader.boundFunctions(gatun_h.class, "gatun_").keySet(),
                "functions in gatun.h vs functions bound in gatun_h");
    }

    @Test
    void everyBindingHasTheHeadersArityTypesAndLayouts() throws Exception {
        header.assertBindings(gatun_h.class, header.prototypes().keySet());
    }

    @Test
    void everyBoundSymbolResolvesInTheLibrary() throws Exception {
        for (String name : header.prototypes().keySet()) {
            MemorySegment address = (MemorySegment) gatun_h.class.getMethod(name + "$address")
                    .invoke(null);
            assertFalse(address.equals(MemorySegment.NULL), name + " resolved to NULL");
        }
    }

    @Test
    void constantsMatchTheHeader() throws Exception {
        Map<String, Integer> expected = header.constants(CONSTANT, DEFINE);
        assertTrue(expected.size() >= 17, "parsed only " + expected);
        assertEquals(expected, CHeader.intConstants(gatun_h.class),
                "constants of gatun.h vs int constants of gatun_h");
    }
}
