#!/usr/bin/env bash
# The benchmark: throughput, latency percentiles (p50/p95/p99/max), CPU seconds and peak memory
# of the job on this machine, each variant beside its baselines in the same run
# (dev.notiflow.sandbox.Benchmark):
#   kafka-passthrough     events copied to an output topic by Flink with the job's exactly-once
#                         Kafka source, sink and checkpoints: the floor of Kafka I/O here;
#   job-no-provider-io    the whole topology with a sender that accepts at once: the job's cost;
#   job-local-providers   the whole job with the real clients (Pushy, firebase-admin) against
#                         the local APNs and FCM servers.
#
#   scripts/bench.sh [--notifications N] [--users N] [--rate EVENTS_PER_S] [--variants a,b,c]
#                    [--warm-up N] [--out DIR]
#
# Defaults: 20000 push notifications to 2000 users (half iOS, half Android), produced in one
# burst (--rate 0; with --rate R they are produced at R per second and the latency is that of a
# steady load), all variants after a warm-up of 5000 through the whole job, results as JSON in
# sandbox/target/bench/. Uses the same build and JVM flags as run-local.sh,
# with BENCH_HEAP (default 3g) as the heap.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ensure_java_maven
cd "$ROOT"
log_info "building the sandbox and what it needs ..."
CP="$(sandbox_classpath)"

mapfile -t JVM_FLAGS < <(flink_jvm_flags)
exec java "-Xmx${BENCH_HEAP:-3g}" "${JVM_FLAGS[@]}" -cp "$CP" dev.notiflow.sandbox.Benchmark "$@"
