#!/usr/bin/env bash
# A private PostgreSQL server for the local run and the deployment test: its own data directory
# under .local/postgres, its own port (55432), listening on 127.0.0.1 only, database "notiflow".
# It never touches the system's PostgreSQL cluster.
#
#   scripts/postgres.sh start      init (first time), start, create database notiflow, print the JDBC URL
#   scripts/postgres.sh stop       stop it, keeping the data
#   scripts/postgres.sh status     print the JDBC URL; exit 0 only when it runs
#   scripts/postgres.sh url        print the JDBC URL
#   scripts/postgres.sh destroy    stop it and delete its data
#
# Steps of start:
#   1. ensure the server binaries exist (apt-get install postgresql as root when missing);
#   2. first time only: initdb $STATE/data (superuser "notiflow", trust auth on localhost) and
#      append our settings to postgresql.conf (127.0.0.1 only, port, unix socket in $STATE,
#      max_prepared_transactions=10 for XA sinks, fsync off);
#   3. pg_ctl start -w (log in $STATE/postgres.log) on $PORT;
#   4. create the database notiflow if missing, write the JDBC URL to $STATE/jdbc.url and print it.
# PostgreSQL refuses to run as root: as root, every server command runs as the "postgres" OS
# user (runuser) and $STATE belongs to that user.
#
# Environment (all optional):
#   NOTIFLOW_PG_HOME   state dir (data, log, socket)   (default: <repo>/.local/postgres)
#   NOTIFLOW_PG_PORT   TCP port on 127.0.0.1            (default: 55432)
#   NOTIFLOW_PG_BIN    directory with initdb and pg_ctl (default: discovered)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

STATE="${NOTIFLOW_PG_HOME:-$ROOT/.local/postgres}"
PORT="${NOTIFLOW_PG_PORT:-55432}"
DATA="$STATE/data"
LOG_FILE="$STATE/postgres.log"
DB_USER="notiflow"
DB_NAME="notiflow"
JDBC_URL="jdbc:postgresql://127.0.0.1:$PORT/$DB_NAME"

as_pg() {
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

bin() {
    local dir
    dir="$(pg_bin_dir)" || die "initdb not found: install postgresql (scripts/test.sh does it)"
    printf '%s/%s\n' "$dir" "$1"
}

is_running() {
    [[ -f "$DATA/PG_VERSION" ]] && as_pg "$(bin pg_ctl)" status -D "$DATA" >/dev/null 2>&1
}

print_url() {
    log_info "user $DB_USER (trust auth on 127.0.0.1), no password needed"
    printf '%s\n' "$JDBC_URL"
}

init_cluster() {
    mkdir -p "$STATE"
    if [[ "$(id -u)" == "0" ]]; then
        id postgres >/dev/null 2>&1 || die "OS user 'postgres' not found: install postgresql (scripts/test.sh does it)"
        chown postgres:postgres "$STATE"
    fi
    log_info "initdb $DATA"
    as_pg "$(bin initdb)" -D "$DATA" -U "$DB_USER" --auth=trust --encoding=UTF8 --locale=C >"$STATE/initdb.log" 2>&1 \
        || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
    as_pg tee -a "$DATA/postgresql.conf" >/dev/null <<CONF

# notiflow private server (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$STATE'
max_connections = 100
max_prepared_transactions = 10
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
CONF
}

start() {
    ensure_postgres
    if is_running; then
        log_info "already running"
        print_url
        return 0
    fi
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        init_cluster
    fi
    if port_in_use "$PORT"; then
        die "port $PORT is in use by another process (set NOTIFLOW_PG_PORT)"
    fi
    log_info "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOG_FILE)"
    as_pg "$(bin pg_ctl)" start -D "$DATA" -l "$LOG_FILE" -w -t 60 -s -o "-p $PORT" \
        || { tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true; die "PostgreSQL did not start"; }
    local psql exists
    psql="$(bin psql)"
    exists="$(as_pg "$psql" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")"
    if [[ "$exists" != "1" ]]; then
        as_pg "$psql" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -qc "CREATE DATABASE $DB_NAME" \
            || die "could not create database $DB_NAME"
        log_info "created database $DB_NAME"
    fi
    printf '%s\n' "$JDBC_URL" >"$STATE/jdbc.url"
    log_info "PostgreSQL ready"
    print_url
}

stop() {
    if ! is_running; then
        log_info "not running"
        return 0
    fi
    log_info "stopping PostgreSQL"
    as_pg "$(bin pg_ctl)" stop -D "$DATA" -m fast -w -t 60 -s
    log_info "stopped"
}

status() {
    if is_running; then
        log_info "running on 127.0.0.1:$PORT"
        print_url
        return 0
    fi
    log_info "not running"
    return 1
}

destroy() {
    stop
    log_info "deleting $STATE"
    rm -rf "$STATE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) printf '%s\n' "$JDBC_URL" ;;
    destroy) destroy ;;
    *)
        echo "usage: $0 start | stop | status | url | destroy" >&2
        exit 2
        ;;
esac
