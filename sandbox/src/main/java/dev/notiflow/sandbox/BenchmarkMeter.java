package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.testkit.CompilerCpu;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU (JIT compiler threads' CPU included and also apart, see {@link CompilerCpu}), peak heap
 * (pools' peak, and the peak of what was left after each collection) and peak RSS of one variant,
 * for this JVM (the job's) and separately for the providers' JVM and the broker's.
 */
final class BenchmarkMeter {

    private final BenchmarkChild providers;
    private final BenchmarkChild broker;
    private final long cpu;
    private final long jit;
    private final long jitElapsed;
    private final long providersCpu;
    private final long providersJit;
    private final long brokerCpu;
    private final long started = System.nanoTime();
    private final AtomicLong peakRssKb = new AtomicLong();
    private final AtomicLong peakAfterGcBytes = new AtomicLong();
    private final ScheduledExecutorService sampler;

    BenchmarkMeter(BenchmarkChild providers, BenchmarkChild broker) throws InterruptedException {
        this.providers = providers;
        this.broker = broker;
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (Exception e) {
            // not Linux: the RSS samples below still give the variant's peak
        }
        Map<String, Long> p = providers.stats();
        providers.command("reset");
        this.providersCpu = p.getOrDefault("cpuNanos", 0L);
        this.providersJit = p.getOrDefault("jitCpuNanos", 0L);
        this.brokerCpu = broker == null ? 0 : broker.cpuNanos();
        if (broker != null) {
            broker.resetPeakRss();
        }
        this.cpu = processCpuNanos();
        this.jit = CompilerCpu.nanos();
        this.jitElapsed = CompilerCpu.elapsedMillis();
        this.sampler =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "bench-rss");
                            t.setDaemon(true);
                            return t;
                        });
        sampler.scheduleAtFixedRate(
                () -> {
                    peakRssKb.accumulateAndGet(
                            BenchmarkChild.procStatusKb(ProcessHandle.current().pid(), "VmRSS:"),
                            Math::max);
                    peakAfterGcBytes.accumulateAndGet(heapAfterGcBytes(), Math::max);
                },
                0,
                250,
                TimeUnit.MILLISECONDS);
    }

    /** The figures since this meter started, as a report node. */
    ObjectNode finish() throws InterruptedException {
        sampler.shutdownNow();
        double seconds = (System.nanoTime() - started) / 1e9;
        ObjectNode r = Benchmark.JSON.createObjectNode();
        ObjectNode job = r.putObject("jobJvm");
        job.put("cpuSeconds", Benchmark.round((processCpuNanos() - cpu) / 1e9));
        job.put("jitSeconds", Benchmark.round((CompilerCpu.nanos() - jit) / 1e9));
        job.put(
                "jitElapsedSeconds",
                Benchmark.round((CompilerCpu.elapsedMillis() - jitElapsed) / 1e3));
        job.put("wallSeconds", Benchmark.round(seconds));
        job.put("peakHeapMb", peakHeapMb());
        job.put("peakHeapAfterGcMb", peakAfterGcBytes.get() >> 20);
        long hwm = BenchmarkChild.procStatusKb(ProcessHandle.current().pid(), "VmHWM:");
        job.put("peakRssMb", Math.max(hwm, peakRssKb.get()) >> 10);
        Map<String, Long> p = providers.stats();
        ObjectNode prov = r.putObject("providersJvm");
        prov.put(
                "cpuSeconds",
                Benchmark.round((p.getOrDefault("cpuNanos", 0L) - providersCpu) / 1e9));
        prov.put(
                "jitSeconds",
                Benchmark.round((p.getOrDefault("jitCpuNanos", 0L) - providersJit) / 1e9));
        prov.put("peakHeapMb", p.getOrDefault("heapPeakMb", -1L));
        prov.put("peakRssMb", p.getOrDefault("rssPeakMb", -1L));
        if (broker != null) {
            ObjectNode b = r.putObject("brokerJvm");
            b.put("cpuSeconds", Benchmark.round((broker.cpuNanos() - brokerCpu) / 1e9));
            b.put("peakRssMb", broker.peakRssMb());
        }
        return r;
    }

    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean()
                        instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime()
                : -1;
    }

    /**
     * What the heap pools held after their last collection, summed: sampled over a variant, its
     * peak is the live heap's, which a peak of the pools' usage (garbage included) does not show.
     */
    static long heapAfterGcBytes() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                bytes += pool.getCollectionUsage().getUsed();
            }
        }
        return bytes;
    }

    static long peakHeapMb() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                bytes += pool.getPeakUsage().getUsed();
            }
        }
        return bytes >> 20;
    }
}
