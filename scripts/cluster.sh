#!/usr/bin/env bash
# A standalone Flink session cluster on this machine, built from Maven Central artifacts only
# (no Flink distribution tarball): one JobManager JVM and one TaskManager JVM.
#
#   scripts/cluster.sh start     build the classpath (flink-conf/cluster/pom.xml) if needed,
#                                write the effective config, start JobManager + TaskManager,
#                                wait until the REST API reports a registered TaskManager
#   scripts/cluster.sh stop      stop the TaskManager, then the JobManager (by their pid files)
#   scripts/cluster.sh status    pids, REST overview; exit 0 only when the cluster is up
#   scripts/cluster.sh restart   stop, then start
#   scripts/cluster.sh logs      tail the JobManager and TaskManager logs
#   scripts/cluster.sh taskmanager start
#                                start a TaskManager for the running JobManager (e.g. after
#                                the last one died), with a fresh resource id, and wait until
#                                the JobManager lists it
#
# Steps of start:
#   1. resolve the cluster classpath with mvn dependency:build-classpath (cached in
#      $NOTIFLOW_FLINK_HOME/classpath.txt, rebuilt when a pom changes);
#   2. write $NOTIFLOW_FLINK_HOME/conf/config.yaml = flink-conf/config.yaml plus local overrides
#      (ports, checkpoint/savepoint/RocksDB/tmp dirs under $NOTIFLOW_FLINK_HOME), using
#      Flink's own BashJavaUtils, exactly as the distribution's scripts do;
#   3. compute the JVM memory flags with BashJavaUtils and start
#      StandaloneSessionClusterEntrypoint and TaskManagerRunner with env.java.opts.all;
#   4. poll http://localhost:$REST_PORT/overview until a TaskManager has registered.
#
# Environment (all optional):
#   NOTIFLOW_FLINK_HOME   state, logs and pid files        (default: <repo>/.local/flink)
#   FLINK_REST_PORT       REST API and web UI port         (default: 8081)
#   FLINK_RPC_PORT        JobManager RPC port              (default: 6123)
#   FLINK_TM_SLOTS        task slots of the TaskManager    (default: from config.yaml, 4)
#   FLINK_TM_MEMORY       TaskManager process size         (default: from config.yaml)
#   FLINK_START_TIMEOUT   seconds to wait for the cluster  (default: 120)
#   FLINK_CLASSPATH_FILE  cached cluster classpath         (default: $NOTIFLOW_FLINK_HOME/classpath.txt)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Shared helpers (logging, ensure_java_maven, mvn_cmd) when present.
if [[ -f "$ROOT/scripts/lib.sh" ]]; then
    # shellcheck source=/dev/null
    source "$ROOT/scripts/lib.sh"
fi

FLINK_HOME_DIR="${NOTIFLOW_FLINK_HOME:-$ROOT/.local/flink}"
CONF_SRC="$ROOT/flink-conf"
CLUSTER_POM="$CONF_SRC/cluster/pom.xml"
REST_PORT="${FLINK_REST_PORT:-8081}"
RPC_PORT="${FLINK_RPC_PORT:-6123}"
START_TIMEOUT="${FLINK_START_TIMEOUT:-120}"
CONF_DIR="$FLINK_HOME_DIR/conf"
LOG_DIR="$FLINK_HOME_DIR/log"
PID_DIR="$FLINK_HOME_DIR/pid"
CP_FILE="${FLINK_CLASSPATH_FILE:-$FLINK_HOME_DIR/classpath.txt}"
BJU_PREFIX="BASH_JAVA_UTILS_EXEC_RESULT:"

say() { printf '[cluster %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

rest_url() { printf 'http://localhost:%s' "$REST_PORT"; }

ensure_tools() {
    if declare -F ensure_java_maven >/dev/null; then
        ensure_java_maven
    fi
    command -v java >/dev/null || die "java not found (Java 17 is required)"
    command -v mvn >/dev/null || die "mvn not found"
    command -v curl >/dev/null || die "curl not found"
    if ! command -v jq >/dev/null; then
        say "installing jq"
        (apt-get update -qq && apt-get install -y -qq jq) >/dev/null || die "could not install jq"
    fi
}

mvn_run() {
    if declare -F mvn_cmd >/dev/null; then
        mvn_cmd -q "$@"
    else
        mvn -q -B "$@"
    fi
}

# 1. The cluster classpath, rebuilt when the cluster pom or the parent pom is newer.
build_classpath() {
    mkdir -p "$FLINK_HOME_DIR" "$(dirname "$CP_FILE")"
    if [[ -s "$CP_FILE" && "$CP_FILE" -nt "$CLUSTER_POM" && "$CP_FILE" -nt "$ROOT/pom.xml" ]]; then
        return
    fi
    say "resolving the Flink cluster classpath from Maven artifacts"
    if ! mvn_run -o -f "$CLUSTER_POM" dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >/dev/null 2>&1; then
        mvn_run -f "$CLUSTER_POM" dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >/dev/null \
            || die "could not resolve $CLUSTER_POM"
    fi
}

classpath() { cat "$CP_FILE"; }

bash_java_utils() {
    # Runs Flink's BashJavaUtils and prints its result lines without the prefix.
    local out
    out="$(java -cp "$(classpath)" org.apache.flink.runtime.util.bash.BashJavaUtils "$@" 2>&1)" \
        || { printf '%s\n' "$out" >&2; die "BashJavaUtils $1 failed"; }
    printf '%s\n' "$out" | sed -n "s/^${BJU_PREFIX}//p"
}

# 2. The effective configuration: flink-conf/config.yaml + local paths and ports.
write_config() {
    mkdir -p "$CONF_DIR" "$LOG_DIR" "$PID_DIR" "$FLINK_HOME_DIR"/{checkpoints,savepoints,rocksdb,tmp,upload,plugins}
    local overrides=(
        -D "rest.port=$REST_PORT"
        -D "jobmanager.rpc.port=$RPC_PORT"
        -D "execution.checkpointing.dir=file://$FLINK_HOME_DIR/checkpoints"
        -D "execution.checkpointing.savepoint-dir=file://$FLINK_HOME_DIR/savepoints"
        -D "state.backend.rocksdb.localdir=$FLINK_HOME_DIR/rocksdb"
        -D "io.tmp.dirs=$FLINK_HOME_DIR/tmp"
        -D "web.upload.dir=$FLINK_HOME_DIR/upload"
        -D "web.tmpdir=$FLINK_HOME_DIR/tmp"
        -D "blob.storage.directory=$FLINK_HOME_DIR/tmp"
    )
    [[ -n "${FLINK_TM_SLOTS:-}" ]] && overrides+=(-D "taskmanager.numberOfTaskSlots=$FLINK_TM_SLOTS")
    [[ -n "${FLINK_TM_MEMORY:-}" ]] && overrides+=(-D "taskmanager.memory.process.size=$FLINK_TM_MEMORY")
    local yaml
    yaml="$(bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$CONF_SRC" "${overrides[@]}")"
    {
        echo "# Generated by scripts/cluster.sh from flink-conf/config.yaml; edit that file instead."
        printf '%s\n' "$yaml"
    } >"$CONF_DIR/config.yaml"
    cp "$CONF_SRC/log4j.properties" "$CONF_SRC/log4j-console.properties" "$CONF_DIR/"
}

FLAT_CONFIG=""
# Extra dynamic properties (-D key=value) for the next start_process.
EXTRA_ARGS=()

config_value() {
    # Flattened value of one key of the effective config ('' when absent); FLAT_CONFIG is
    # filled once by cmd_start.
    printf '%s\n' "$FLAT_CONFIG" | sed -n "s/^$1: //p" | sed "s/^'\(.*\)'$/\1/" | tail -n 1
}

main_class_of() {
    case "$1" in
        jobmanager) echo org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint ;;
        taskmanager) echo org.apache.flink.runtime.taskexecutor.TaskManagerRunner ;;
    esac
}

# True when the pid file names a live process that is this cluster's process of that role
# (a recycled pid of an unrelated process does not count).
is_our_process() {
    local role=$1 pid=$2
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/cmdline" ]]; then
        local cmdline
        cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
        [[ "$cmdline" == *"$(main_class_of "$role")"* && "$cmdline" == *"$CONF_DIR"* ]] || return 1
    fi
}

role_alive() {
    local f="$PID_DIR/$1.pid"
    [[ -f "$f" ]] && is_our_process "$1" "$(cat "$f")"
}

port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# 3. One Flink process: JobManager (jobmanager) or TaskManager (taskmanager).
start_process() {
    local role=$1 main_class utils_cmd role_opts
    main_class="$(main_class_of "$role")"
    case "$role" in
        jobmanager) utils_cmd=GET_JM_RESOURCE_PARAMS ;;
        taskmanager) utils_cmd=GET_TM_RESOURCE_PARAMS ;;
    esac
    if role_alive "$role"; then
        say "$role already running (pid $(cat "$PID_DIR/$role.pid"))"
        return
    fi
    local params jvm_params dynamic_params
    params="$(bash_java_utils "$utils_cmd" --configDir "$CONF_DIR")"
    jvm_params="$(printf '%s\n' "$params" | tail -n 2 | head -n 1)"
    dynamic_params="$(printf '%s\n' "$params" | tail -n 1)"
    role_opts="$(config_value "env.java.opts.$role")"
    local log_file="$LOG_DIR/flink-$role.log"
    local java_opts
    # shellcheck disable=SC2206 # word splitting of JVM flags is intended
    java_opts=($jvm_params $JAVA_OPTS_ALL $role_opts
        "-Dlog.file=$log_file"
        "-Dlog4j.configurationFile=file:$CONF_DIR/log4j.properties")
    # shellcheck disable=SC2206
    local args=(--configDir "$CONF_DIR" $dynamic_params "${EXTRA_ARGS[@]}")
    say "starting $role (log: $log_file)"
    FLINK_PLUGINS_DIR="$FLINK_HOME_DIR/plugins" FLINK_CONF_DIR="$CONF_DIR" nohup java "${java_opts[@]}" -cp "$(classpath)" "$main_class" "${args[@]}" \
        >"$LOG_DIR/flink-$role.out" 2>&1 </dev/null &
    local pid=$! i
    echo "$pid" >"$PID_DIR/$role.pid"
    # Until the forked shell has exec'ed java, the pid's command line is still this script's, and
    # role_alive would take the new process for a dead one: wait for the exec (or the exit).
    for ((i = 0; i < 100; i++)); do
        is_our_process "$role" "$pid" && return
        kill -0 "$pid" 2>/dev/null || return
        sleep 0.1
    done
}

# 4. Wait until the REST API answers and a TaskManager has registered its slots.
wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT)) overview
    while ((SECONDS < deadline)); do
        for role in jobmanager taskmanager; do
            role_alive "$role" || { tail -n 30 "$LOG_DIR/flink-$role.out" "$LOG_DIR/flink-$role.log" >&2 2>/dev/null || true; die "$role exited during start"; }
        done
        if overview="$(curl -fsS --max-time 2 "$(rest_url)/overview" 2>/dev/null)" \
            && [[ "$(jq -r '.taskmanagers' <<<"$overview")" -ge 1 ]] \
            && [[ "$(jq -r '."slots-total"' <<<"$overview")" -ge 1 ]]; then
            say "cluster up: $(jq -c '{taskmanagers, "slots-total", "slots-available", "flink-version"}' <<<"$overview")"
            say "web UI: $(rest_url)"
            return
        fi
        sleep 1
    done
    die "cluster not ready after ${START_TIMEOUT}s; see $LOG_DIR"
}

cmd_start() {
    ensure_tools
    if role_alive jobmanager && role_alive taskmanager; then
        say "already running"
        cmd_status
        return
    fi
    if ! role_alive jobmanager; then
        for p in "$REST_PORT" "$RPC_PORT"; do
            port_busy "$p" && die "port $p is in use by another process (set FLINK_REST_PORT / FLINK_RPC_PORT)"
        done
    fi
    build_classpath
    write_config
    FLAT_CONFIG="$(bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$CONF_DIR" -flatten)"
    JAVA_OPTS_ALL="$(config_value env.java.opts.all)"
    start_process jobmanager
    start_process taskmanager
    wait_ready
}

# Wait until the JobManager lists the TaskManager with this resource id.
wait_registered() {
    local id=$1 deadline=$((SECONDS + START_TIMEOUT)) ids
    while ((SECONDS < deadline)); do
        role_alive taskmanager || { tail -n 30 "$LOG_DIR/flink-taskmanager.out" >&2 2>/dev/null || true; die "taskmanager exited during start"; }
        if ids="$(curl -fsS --max-time 2 "$(rest_url)/taskmanagers" 2>/dev/null | jq -r '.taskmanagers[].id')" \
            && grep -qxF "$id" <<<"$ids"; then
            say "taskmanager $id registered"
            return
        fi
        sleep 1
    done
    die "taskmanager $id not registered after ${START_TIMEOUT}s; see $LOG_DIR"
}

cmd_taskmanager() {
    [[ "${1:-}" == start ]] || { echo "usage: $0 taskmanager start" >&2; exit 2; }
    ensure_tools
    role_alive jobmanager || die "the JobManager is not running (start the cluster first)"
    if role_alive taskmanager; then
        say "taskmanager already running (pid $(cat "$PID_DIR/taskmanager.pid"))"
        return
    fi
    build_classpath
    FLAT_CONFIG="$(bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$CONF_DIR" -flatten)"
    JAVA_OPTS_ALL="$(config_value env.java.opts.all)"
    local id
    id="taskmanager-$(date +%s)-$$"
    EXTRA_ARGS=(-D "taskmanager.resource-id=$id")
    start_process taskmanager
    EXTRA_ARGS=()
    wait_registered "$id"
}

stop_process() {
    local role=$1 f="$PID_DIR/$1.pid" pid
    [[ -f "$f" ]] || return 0
    pid="$(cat "$f")"
    if is_our_process "$role" "$pid"; then
        say "stopping $role (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$role did not stop in 30s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$f"
}

cmd_stop() {
    stop_process taskmanager
    stop_process jobmanager
    say "stopped"
}

cmd_status() {
    local up=0
    for role in jobmanager taskmanager; do
        if role_alive "$role"; then
            say "$role running (pid $(cat "$PID_DIR/$role.pid"))"
        else
            say "$role not running"
            up=1
        fi
    done
    local overview
    if overview="$(curl -fsS --max-time 3 "$(rest_url)/overview" 2>/dev/null)"; then
        printf '%s\n' "$overview" | jq .
    else
        say "REST API not answering on $(rest_url)"
        up=1
    fi
    return $up
}

cmd_logs() {
    tail -n "${LINES:-50}" "$LOG_DIR/flink-jobmanager.log" "$LOG_DIR/flink-taskmanager.log"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_stop; cmd_start ;;
    logs) cmd_logs ;;
    taskmanager) shift; cmd_taskmanager "$@" ;;
    *) echo "usage: $0 start|stop|status|restart|logs|taskmanager start" >&2; exit 2 ;;
esac
