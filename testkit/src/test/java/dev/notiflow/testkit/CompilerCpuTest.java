package dev.notiflow.testkit;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

class CompilerCpuTest {

    @Test
    void shouldReadUserAndSystemTicksAfterACommandWithSpacesAndParentheses() {
        String stat =
                "4242 (C2 CompilerThre) S 1 4200 4200 0 -1 4194368 12 0 0 0 731 29 0 0 20 0 40 0";

        assertThat(CompilerCpu.statCpuNanos(stat)).isEqualTo(7_600_000_000L);
        assertThat(CompilerCpu.statCpuNanos("7 (a) b) (c) R 1 2 3 4 5 6 7 8 9 10 3 4 0"))
                .isEqualTo(70_000_000L);
    }

    @Test
    void shouldCountTheCompilerThreadsOfThisJvmWithinItsCpu() {
        long before = CompilerCpu.nanos();
        long sum = 0;
        for (int round = 0; round < 2_000; round++) {
            sum += work(round);
        }
        long compiler = CompilerCpu.nanos();
        long process =
                ((com.sun.management.OperatingSystemMXBean)
                                ManagementFactory.getOperatingSystemMXBean())
                        .getProcessCpuTime();

        assertThat(sum).isNotZero();
        assertThat(before).isNotNegative();
        // The JVM compiled its start-up and this loop: some compiler CPU, less than the process's.
        assertThat(compiler).isPositive().isGreaterThanOrEqualTo(before).isLessThan(process);
    }

    private static long work(int round) {
        long h = round;
        for (int i = 0; i < 10_000; i++) {
            h = h * 31 + Long.toString(i ^ h).hashCode();
        }
        return h;
    }
}
