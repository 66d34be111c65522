#!/usr/bin/env bash
# Runs the whole job on this machine with embedded defaults: a real local Kafka broker (KRaft),
# the local providers (APNs, FCM, Twilio, SMTP mocks reached by the real client libraries) and
# Flink's MiniCluster with RocksDB and exactly-once checkpoints.
#
#   scripts/run-local.sh                                   # the built-in demo
#   scripts/run-local.sh --input DIR --out DIR [--provider-script FILE] [--wait-scheduled DURATION] \
#                        [--key value ...]
#   scripts/run-local.sh --serve [--port 8080] [--live-port 8090]   # the stack behind the gateway
#
# --serve starts the broker, the local providers, both jobs, PostgreSQL, the gateway, and for the
# live channel a private Redis and a push server; prints the gateway's URL and its API key
# (NOTIFLOW_API_KEY when set, generated otherwise) and the push server's URLs (token secret
# NOTIFLOW_LIVE_SECRET when set, generated otherwise) and keeps running until interrupted
# (Ctrl-C); /readyz answers 200 once the jobs run.
#
# Steps:
#   1. check Java 17+ and Maven (ensure_java_maven);
#   2. make sure PostgreSQL's binaries are installed (apt-get when missing; the run starts a
#      private server for the delivery table and prints the analysts' summary from it);
#   3. build and install the sandbox and the modules it needs, without tests;
#   4. compute the sandbox module's classpath;
#   5. run dev.notiflow.sandbox.LocalRun with Flink's JVM flags; it loads profiles, tokens and
#      templates (templates.jsonl in the input directory, when present), sends the events (a
#      relative "sendAt": "+20s" becomes now + 20 s) and cancellations.jsonl, prints live
#      progress, stops when every input reached a final outcome and the events scheduled within
#      --wait-scheduled (default 2 min) were due and nothing the job's policies hold back
#      (quiet hours, throttle deferrals, digest windows) is left, or that time is up (later ones
#      are listed as pending, and the count still held as held, in summary.json), writes
#      deliveries.jsonl,
#      dlq.jsonl, token-invalidations.jsonl, sent.jsonl (what the local providers received,
#      rendered content included; local runs only) and summary.json to --out (default ./out)
#      and prints a summary table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ensure_java_maven
# The delivery table needs PostgreSQL's binaries; without them the run goes on without the table.
ensure_postgres || log_warn "PostgreSQL unavailable: running without the delivery table"
for arg in "$@"; do
    # --serve runs the live channel too: its push registry is a private redis-server
    if [[ "$arg" == --serve ]]; then ensure_redis; fi
done
cd "$ROOT"
log_info "building the sandbox and what it needs (first run downloads dependencies) ..."
CP="$(sandbox_classpath)"

mapfile -t JVM_FLAGS < <(flink_jvm_flags)
exec java -Xmx2g "${JVM_FLAGS[@]}" -cp "$CP" dev.notiflow.sandbox.LocalRun "$@"
