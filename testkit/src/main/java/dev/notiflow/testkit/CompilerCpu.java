package dev.notiflow.testkit;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time this JVM's JIT compiler threads have used, read from {@code /proc/self/task} (their
 * {@code comm} is {@code C1 CompilerThre…} or {@code C2 CompilerThre…}).
 *
 * <p>{@link java.lang.management.CompilationMXBean#getTotalCompilationTime()} is elapsed time, not
 * CPU: each compile counts from its start to its end, also while the compiler thread waits for a
 * core. On a machine whose cores are busy with the job, that figure grows past the CPU the
 * compilers actually got (in one benchmark run it said 287 s of compilation in a 281 s run on two
 * cores), so it cannot be read as a share of the CPU. A compiler thread that the JVM stops (it
 * starts and stops them with the compile queue, {@code UseDynamicNumberOfCompilerThreads}) takes
 * its count with it: benchmark JVMs run with that flag off.
 */
public final class CompilerCpu {

    /** {@code USER_HZ}: the unit of /proc's CPU times, 100 on Linux whatever the kernel's HZ. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private CompilerCpu() {}

    /** CPU nanoseconds of the JIT compiler threads alive now, or -1 where /proc cannot tell. */
    public static long nanos() {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long nanos = 0;
        try (DirectoryStream<Path> all = Files.newDirectoryStream(tasks)) {
            for (Path task : all) {
                try {
                    String comm = Files.readString(task.resolve("comm")).strip();
                    if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
                        nanos += statCpuNanos(Files.readString(task.resolve("stat")));
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while read
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return nanos;
    }

    /**
     * {@code utime + stime} of one {@code /proc/.../stat} line (fields 14 and 15, counted after the
     * command name, which may hold spaces and parentheses), in nanoseconds.
     */
    public static long statCpuNanos(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state): utime is field 14, stime field 15.
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
    }

    /** The elapsed compile time the JVM reports (not CPU; see above), or -1. */
    public static long elapsedMillis() {
        var jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit.getTotalCompilationTime()
                : -1;
    }
}
