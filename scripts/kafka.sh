#!/usr/bin/env bash
# A standalone local Kafka broker (KRaft, one combined broker+controller node) in its own JVM,
# built from Maven artifacts only (testkit's LocalKafkaMain): for the local run and the
# deployment test. Any process on this machine, e.g. a Flink standalone cluster, can reach it.
#
#   scripts/kafka.sh start [--topics name:partitions[:compact],...]
#   scripts/kafka.sh stop
#   scripts/kafka.sh status       prints the bootstrap servers; exit 0 only when it runs
#   scripts/kafka.sh bootstrap    prints the bootstrap servers of the running broker
#
# Steps of start:
#   1. compile testkit if its classes are missing or older than its sources
#      (mvn -pl testkit compile, offline first);
#   2. resolve testkit's classpath with mvn dependency:build-classpath (cached in the state dir,
#      rebuilt when a pom changes) and add testkit/target/classes;
#   3. start LocalKafkaMain in the background: data in $STATE/data (emptied at each start),
#      log in $STATE/kafka.log, pid in $STATE/kafka.pid;
#   4. wait until it writes $STATE/bootstrap.servers, then print "Kafka ready at HOST:PORT".
# stop sends SIGTERM (the broker shuts down cleanly), then SIGKILL after 30 s.
#
# Environment (all optional):
#   NOTIFLOW_KAFKA_HOME   state dir                     (default: <repo>/.local/kafka)
#   KAFKA_PORT            client port on localhost      (default: 9092; 0 picks a free port)
#   KAFKA_TOPICS          topics to create at start, same format as --topics
#   KAFKA_HEAP            JVM heap of the broker        (default: 768m)
#   KAFKA_START_TIMEOUT   seconds to wait for the broker (default: 120)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

STATE="${NOTIFLOW_KAFKA_HOME:-$ROOT/.local/kafka}"
PORT="${KAFKA_PORT:-9092}"
HEAP="${KAFKA_HEAP:-768m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
PID_FILE="$STATE/kafka.pid"
BOOTSTRAP_FILE="$STATE/bootstrap.servers"
LOG_FILE="$STATE/kafka.log"
CP_FILE="$STATE/classpath.txt"
MAIN_CLASS="dev.notiflow.testkit.kafka.LocalKafkaMain"
TESTKIT="$ROOT/testkit"

running_pid() {
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid="$(cat "$PID_FILE")"
    pid_alive "$pid" || return 1
    # Guard against a recycled pid: it must be our broker.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS" || return 1
    printf '%s\n' "$pid"
}

# 1. testkit classes, compiled when missing or stale.
build_testkit() {
    local main_class="$TESTKIT/target/classes/${MAIN_CLASS//.//}.class"
    if [[ -f "$main_class" ]] \
        && [[ -z "$(find "$TESTKIT/src/main" "$TESTKIT/pom.xml" -newer "$main_class" -type f -print -quit)" ]]; then
        return 0
    fi
    log_info "compiling testkit"
    (cd "$ROOT" && { mvn_cmd -q -o -pl testkit compile || mvn_cmd -q -pl testkit compile; }) >&2 \
        || die "could not compile testkit (try: mvn -B -pl testkit -am compile, then again)"
}

# 2. testkit's classpath (all scopes: the broker is a test dependency, kept out of the job jar).
build_classpath() {
    if [[ -s "$CP_FILE" && "$CP_FILE" -nt "$TESTKIT/pom.xml" && "$CP_FILE" -nt "$ROOT/pom.xml" ]]; then
        return 0
    fi
    log_info "resolving the testkit classpath"
    (cd "$ROOT" && {
        mvn_cmd -q -o -pl testkit dependency:build-classpath -Dmdep.outputFile="$CP_FILE" \
            || mvn_cmd -q -pl testkit dependency:build-classpath -Dmdep.outputFile="$CP_FILE"
    }) >&2 || die "could not resolve the testkit classpath"
}

write_log_config() {
    cat >"$STATE/log4j2.properties" <<'PROPS'
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = console
logger.notiflow.name = dev.notiflow
logger.notiflow.level = INFO
appender.console.name = console
appender.console.type = Console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %-5p %c{1} - %m%n
PROPS
}

start() {
    local pid
    if pid="$(running_pid)"; then
        log_info "already running (pid $pid) at $(cat "$BOOTSTRAP_FILE" 2>/dev/null || echo '?')"
        cat "$BOOTSTRAP_FILE" 2>/dev/null || true
        return 0
    fi
    ensure_java_maven
    mkdir -p "$STATE"
    if [[ "$PORT" != "0" ]] && port_in_use "$PORT"; then
        die "port $PORT is in use by another process (set KAFKA_PORT, or 0 for a free port)"
    fi
    build_testkit
    build_classpath
    write_log_config

    local topics="${KAFKA_TOPICS:-}"
    while (($# > 0)); do
        case "$1" in
            --topics) topics="${2:?--topics needs a value}"; shift 2 ;;
            *) die "unknown option $1 (usage: $0 start [--topics name:partitions[:compact],...])" ;;
        esac
    done
    local args=(--port "$PORT" --dir "$STATE/data" --bootstrap-file "$BOOTSTRAP_FILE")
    [[ -n "$topics" ]] && args+=(--topics "$topics")

    # 3. the broker JVM, detached from this shell's stdio.
    rm -f "$BOOTSTRAP_FILE"
    log_info "starting Kafka (log: $LOG_FILE)"
    nohup java "-Xmx$HEAP" -XX:+UseG1GC \
        "-Dlog4j2.configurationFile=$STATE/log4j2.properties" -Dlog4j2.shutdownHookEnabled=false \
        -cp "$TESTKIT/target/classes:$(cat "$CP_FILE")" \
        "$MAIN_CLASS" "${args[@]}" \
        >"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"

    # 4. ready once the bootstrap file exists.
    local waited=0
    while [[ ! -s "$BOOTSTRAP_FILE" ]]; do
        if ! pid_alive "$pid"; then
            tail -n 40 "$LOG_FILE" >&2 || true
            rm -f "$PID_FILE"
            die "Kafka exited during start; see $LOG_FILE"
        fi
        if ((waited >= START_TIMEOUT * 2)); then
            kill -TERM "$pid" 2>/dev/null || true
            die "Kafka not ready after ${START_TIMEOUT}s; see $LOG_FILE"
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    log_info "Kafka ready at $(cat "$BOOTSTRAP_FILE") (pid $pid)"
    cat "$BOOTSTRAP_FILE"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        log_info "not running"
        rm -f "$PID_FILE" "$BOOTSTRAP_FILE"
        return 0
    fi
    log_info "stopping Kafka (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while pid_alive "$pid"; do
        if ((waited >= 60)); then
            log_warn "Kafka did not stop within 30 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE" "$BOOTSTRAP_FILE"
    log_info "stopped"
}

status() {
    local pid
    if pid="$(running_pid)" && [[ -s "$BOOTSTRAP_FILE" ]]; then
        log_info "running (pid $pid)"
        cat "$BOOTSTRAP_FILE"
        return 0
    fi
    log_info "not running"
    return 1
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) stop ;;
    status) status ;;
    bootstrap) running_pid >/dev/null && cat "$BOOTSTRAP_FILE" || die "Kafka is not running" ;;
    *)
        echo "usage: $0 start [--topics name:partitions[:compact],...] | stop | status | bootstrap" >&2
        exit 2
        ;;
esac
