package dev.gatun.cli;

import dev.gatun.Backends;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code gatun backends}: lists the backends found, which can run here, and why not. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the backends found on the class path and whether each can run.")
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Backends.Info> found = Backends.list();
        int usable = 0;
        for (Backends.Info info : found) {
            String state = info.usable() ? "usable" : "cannot run: " + info.reason();
            out.printf("%-8s priority %4d  %s%n", info.name(), info.priority(), state);
            usable += info.usable() ? 1 : 0;
        }
        spec.commandLine().getErr().println("gatun backends: " + found.size()
                + " found, " + usable + " usable");
        return Main.OK;
    }
}
