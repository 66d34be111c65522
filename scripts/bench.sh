#!/usr/bin/env bash
# The benchmark (dev.notiflow.sandbox.Benchmark): the job at scale beside same-run ceilings on
# the same input, each reported with the job's rate as a ratio of it. A benchmark, never a test.
#
#   scripts/bench.sh [--notifications N] [--users N] [--device-mix ios|android|mixed]
#                    [--batch-share F] [--audience] [--seed N] [--variants a,b,...]
#                    [--steady-seconds S] [--variant-timeout MINUTES]
#                    [--checkpoint-interval DURATION] [--broker child|in-process]
#                    [--profile] [--out DIR]
#
# Workload (defaults): 1,000,000 users with 1-3 devices each (all iOS; mixed = 50/50 per
# device) and a profile each; events whose fan-out totals 10,000,000 notifications, 90% of them
# in batch events of 1,000 recipients and the rest in one-recipient events (--batch-share); with
# --audience also one event to every user ("audience": {"all": true}, walked in the job's
# state). Everything is in the broker before any job starts; a first job reads the
# profiles and devices and stops with a savepoint, and every measured job starts from it.
#
# Variants (--variants, all by default, in this order):
#   kafka-consumer       (a) a plain KafkaConsumer reading the events topic
#   flink-parse          (b) Flink's Kafka source + the job's ParseEvents, then discard
#   pushy, firebase      (c) the job's APNs / FCM sender alone (same settings, parallelism and
#                            in-flight capacity) sending that platform's notifications
#   jdbc-upsert          (d) the delivery table's upsert as raw JDBC batches of as many rows
#   job-no-provider-io   the whole topology with a sender that accepts at once
#   job-no-ledger        the job as shipped with the real clients, ledger.enabled: false
#   job-local-providers  the job as shipped (flink-conf/job.yaml, ledger on; SMS and e-mail
#                        left out) with the real clients
#   delivery-tables      the delivery tables job beside job-local-providers: rows/s and lag
# A job variant drains the burst, then runs a steady phase at half its steady-state rate for
# --steady-seconds (30) for the event -> provider-answer latency. Each variant gives up after
# --variant-timeout minutes (30) and is then reported incomplete. --profile records each job
# variant with JFR (settings=profile) and writes its top frames.
#
# Processes: the local APNs and FCM servers run in their own JVM, the broker in its own JVM
# (--broker in-process keeps it in the job's). TLS is netty-tcnative's BoringSSL on both ends,
# as the job ships (the sinks depend on it).
# The job's JVM heap is BENCH_HEAP (default 3g).
#
# scripts/bench.sh --scenario priority [--flood N] [--high-rate R] [--seconds S] [--latency-ms L]
#                  [--users U] [--quota COUNT/DURATION] [--high-input priority|events]
#                  [--low-warm-up W] [--out DIR]
#   the priority lanes instead (dev.notiflow.sandbox.BenchmarkPriority): the router and the three
#   lane jobs against the local providers with L ms (20) added to each answer; both lanes warmed
#   up (W = 20,000 low pushes drained); a high-priority push stream of R/s (50), on the router's
#   priority input (or on notification-events with --high-input events), for S seconds (30)
#   alone, then N (1,000,000) low-priority pushes queued: S seconds of the flood alone, the same
#   stream beside it, S seconds of the flood alone. report.json: the high lane's event ->
#   provider-ack p50/p95/p99 without and with the flood, and the flood's rate in each window.
#
# scripts/bench.sh --scenario gateway [--seconds S] [--clients C] [--out DIR]
#   the HTTP gateway instead (dev.notiflow.sandbox.BenchmarkGateway): C (8) clients POST events
#   for S (15) seconds at batch sizes 1, 100 and 1000 (one Kafka transaction per request), with
#   events/s and p50/p99 request latency, then a raw idempotent acks=all KafkaProducer for S
#   seconds on the same broker. report.json in --out (sandbox/target/bench/gateway-<timestamp>/).
#
# Output in --out (default sandbox/target/bench/<UTC timestamp>/): report.json, report.md (with
# the previous run's rates beside), throughput.png, latency.png, the children's logs, and with
# --profile a <variant>.jfr per job variant.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ensure_java_maven
cd "$ROOT"
log_info "building the sandbox and what it needs ..."
CP="$(sandbox_classpath)"

MAIN=dev.notiflow.sandbox.Benchmark
for arg in "$@"; do
    if [[ "$arg" == priority ]]; then MAIN=dev.notiflow.sandbox.BenchmarkPriority; fi
    if [[ "$arg" == gateway ]]; then MAIN=dev.notiflow.sandbox.BenchmarkGateway; fi
done
mapfile -t JVM_FLAGS < <(flink_jvm_flags)
exec java "-Xmx${BENCH_HEAP:-3g}" "${JVM_FLAGS[@]}" \
    -cp "$CP" "$MAIN" "$@"
