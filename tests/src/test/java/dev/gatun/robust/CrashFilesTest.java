package dev.gatun.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The test JVMs write a crash file where .ci/run looks for one: .ci/run fails the build on
 * any hs_err_pid*.log in the checkout, which works only if every forked JVM puts it inside
 * its module's folder (gatun.jvm.args in pom.xml sets -XX:ErrorFile for that).
 */
class CrashFilesTest {
    @Test
    void thisJvmWritesItsCrashFileIntoTheModuleFolder() {
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> errorFile = args.stream().filter(a -> a.startsWith("-XX:ErrorFile="))
                .toList();
        assertEquals(1, errorFile.size(), "one -XX:ErrorFile in " + args);
        Path file = Path.of(errorFile.get(0).substring("-XX:ErrorFile=".length()));
        Path module = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        assertEquals(module, file.getParent().toAbsolutePath().normalize(),
                "crash files must land in the module folder the tests run in");
        assertTrue(file.getFileName().toString().matches("hs_err_pid%p\\.log"),
                file.toString());
    }
}
