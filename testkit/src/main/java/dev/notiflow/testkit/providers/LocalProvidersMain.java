package dev.notiflow.testkit.providers;

import dev.notiflow.testkit.CompilerCpu;
import dev.notiflow.testkit.providers.apns.MockApnsProvider;
import dev.notiflow.testkit.providers.fcm.MockFcmProvider;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Runs the local APNs and FCM providers in a process of their own (HTTP/2 over TLS for APNs, as in
 * the tests), so that a benchmark does not count their work as the job's. Accepts every send.
 *
 * <pre>
 * java -cp ... dev.notiflow.testkit.providers.LocalProvidersMain --config-file FILE [--record]
 * </pre>
 *
 * <ul>
 *   <li>{@code --config-file FILE}: written (atomically, as Java properties) with the job's sender
 *       configuration ({@code apns.*}, {@code fcm.*}) once both servers listen; {@code apns.port}
 *       is the server's own port, without the latency proxy;
 *   <li>{@code --record}: keep every request, as the tests do; by default nothing is recorded, so
 *       that millions of sends cost the servers no memory and no bookkeeping.
 * </ul>
 *
 * <p>Once ready it prints {@code Providers ready} on standard output. It then reads commands, one
 * per line, on standard input: {@code stats} prints one line {@code stats cpuNanos=… jitCpuNanos=…
 * heapPeakMb=… heapUsedMb=… rssPeakMb=… sends=…}; {@code reset} resets the peaks; end of input (the
 * parent gone) or {@code stop} stops the servers and the process.
 */
public final class LocalProvidersMain {

    private LocalProvidersMain() {}

    public static void main(String[] args) throws IOException {
        Path configFile = null;
        boolean record = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config-file" -> {
                    if (i + 1 >= args.length) {
                        usage("missing value for --config-file");
                    }
                    configFile = Path.of(args[++i]);
                }
                case "--record" -> record = true;
                default -> usage("unknown option " + args[i]);
            }
        }
        if (configFile == null) {
            usage("--config-file is required");
        }
        MockApnsProvider apns = MockApnsProvider.start(ProviderScript.acceptAll());
        MockFcmProvider fcm = MockFcmProvider.start(ProviderScript.acceptAll());
        apns.setRecording(record);
        fcm.setRecording(record);
        Map<String, String> config = new TreeMap<>();
        config.putAll(apns.senderConfig());
        config.put("apns.port", Integer.toString(apns.directPort()));
        config.putAll(fcm.senderConfig());
        writeAtomically(configFile, config);
        System.out.println("Providers ready");
        System.out.flush();
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                switch (line.trim()) {
                    case "stats" -> {
                        System.out.println(stats());
                        System.out.flush();
                    }
                    case "reset" -> {
                        ManagementFactory.getMemoryPoolMXBeans()
                                .forEach(MemoryPoolMXBean::resetPeakUsage);
                        resetPeakRss();
                        System.out.println("reset");
                        System.out.flush();
                    }
                    case "stop" -> {
                        return;
                    }
                    default -> {
                        System.out.println("unknown command " + line);
                        System.out.flush();
                    }
                }
            }
        } finally {
            apns.close();
            fcm.close();
            Files.deleteIfExists(configFile);
        }
    }

    /** One line of this process's CPU, JIT, heap and RSS figures. */
    static String stats() {
        long cpu =
                ManagementFactory.getOperatingSystemMXBean()
                                instanceof com.sun.management.OperatingSystemMXBean os
                        ? os.getProcessCpuTime()
                        : -1;
        long peak = 0;
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
                used += pool.getUsage().getUsed();
            }
        }
        return String.format(
                "stats cpuNanos=%d jitCpuNanos=%d heapPeakMb=%d heapUsedMb=%d rssPeakMb=%d",
                cpu, CompilerCpu.nanos(), peak >> 20, used >> 20, statusKb("VmHWM:") >> 10);
    }

    /** A value in kB from /proc/self/status, or -1024 where there is none. */
    static long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1024;
    }

    /** Resets the kernel's peak RSS (VmHWM) of this process to its current RSS (Linux). */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux, or not allowed: the peak then covers the whole process life
        }
    }

    private static void writeAtomically(Path file, Map<String, String> config) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            Properties props = new Properties();
            props.putAll(config);
            try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                props.store(out, "local providers");
            }
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: LocalProvidersMain --config-file FILE [--record]");
        System.exit(2);
    }
}
