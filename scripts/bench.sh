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
# scripts/bench.sh --scenario live [--connections N] [--sse-share F] [--lifetime S] [--dither S]
#                  [--concurrency C] [--warm-up N] [--server-heap H] [--out DIR]
#   the live channel instead (dev.notiflow.sandbox.BenchmarkLive): a push server in its own JVM
#   (heap H, 1g) with a private Redis, N (10,000) clients on loopback (a share F (0.1) of them
#   SSE, the rest WebSocket), each with its own user and token. Memory per connection of the
#   server's JVM (heap after a full GC, RSS, direct buffers) and of the clients' JVM; one message
#   to every client through the job's LiveSender at C (64) sends in flight, each acked, with
#   send -> client and send -> ack answered p50/p95/p99/max; then a simulated deploy: the server
#   drains (a goaway to all at once), the clients reconnect to its successor, whose lifetimes of
#   S s (60) less up to S s (20) of dither end in goaways again; reconnects per second of both
#   waves. Raises the open-file limit to the hard limit first (each JVM holds N sockets). Exits
#   non-zero when a client did not connect or reconnect, the registry lacks a connection or a
#   message is missing or duplicated. report.json, report.md, clients.csv, latency.png and
#   reconnects.png in --out (sandbox/target/bench/live-<timestamp>/).
#
# Output in --out (default sandbox/target/bench/<UTC timestamp>/): report.json, report.md (with
# the previous run's rates beside), throughput.png, latency.png, the children's logs, and with
# --profile a <variant>.jfr per job variant.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# The live scenario holds --connections sockets in each of two JVMs (the clients', the server's):
# the soft open-file limit goes up to the hard one, which must leave room for them.
raise_open_files() {
    local connections=10000 prev="" arg need hard
    for arg in "$@"; do
        if [[ "$prev" == --connections ]]; then connections="$arg"; fi
        prev="$arg"
    done
    [[ "$connections" =~ ^[0-9]+$ ]] || die "--connections must be a number, was $connections"
    need=$((connections + 2048))
    hard="$(ulimit -Hn)"
    if [[ "$hard" != unlimited ]] && ((hard < need)); then
        die "--connections $connections needs $need open files per JVM, but the hard limit" \
            "(ulimit -Hn) is $hard: raise it (limits.conf, docker --ulimit nofile=...) or use fewer connections"
    fi
    ulimit -n "$hard" 2>/dev/null || ulimit -n "$need" \
        || die "cannot raise the open-file limit to $need (hard limit $hard)"
    log_info "open-file limit $(ulimit -n) (hard $hard) for $connections connections"
}

SCENARIO=""
prev=""
for arg in "$@"; do
    if [[ "$prev" == --scenario ]]; then SCENARIO="$arg"; fi
    prev="$arg"
done
if [[ "$SCENARIO" == live ]]; then raise_open_files "$@"; fi

ensure_java_maven
cd "$ROOT"
log_info "building the sandbox and what it needs ..."
CP="$(sandbox_classpath)"

MAIN=dev.notiflow.sandbox.Benchmark
for arg in "$@"; do
    if [[ "$arg" == priority ]]; then MAIN=dev.notiflow.sandbox.BenchmarkPriority; fi
    if [[ "$arg" == gateway ]]; then MAIN=dev.notiflow.sandbox.BenchmarkGateway; fi
    if [[ "$arg" == live ]]; then MAIN=dev.notiflow.sandbox.BenchmarkLive; fi
done
mapfile -t JVM_FLAGS < <(flink_jvm_flags)
# Compiler threads that come and go take their CPU counts with them (CompilerCpu): keep them.
exec java "-Xmx${BENCH_HEAP:-3g}" -XX:-UseDynamicNumberOfCompilerThreads "${JVM_FLAGS[@]}" \
    -cp "$CP" "$MAIN" "$@"
