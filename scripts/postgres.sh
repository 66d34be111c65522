#!/usr/bin/env bash
# A private PostgreSQL server for the local run and the deployment test: its own data directory
# under .local/postgres, its own port (55432), listening on 127.0.0.1 only, database "notiflow",
# password authentication (scram-sha-256) as on a deployment. It never touches the system's
# PostgreSQL cluster.
#
#   scripts/postgres.sh start          init (first time), start, create database notiflow, print the JDBC URL
#   scripts/postgres.sh stop           stop it, keeping the data
#   scripts/postgres.sh status         print the JDBC URL; exit 0 only when it runs
#   scripts/postgres.sh url            print the JDBC URL
#   scripts/postgres.sh password-file  print the path of the file holding the password
#   scripts/postgres.sh destroy        stop it and delete its data
#
# Steps of start:
#   1. ensure the server binaries exist (apt-get install postgresql as root when missing);
#   2. first time only: generate a random password into $STATE/password (mode 600), initdb
#      $STATE/data with it (superuser "notiflow", scram-sha-256 for every connection) and append
#      our settings to postgresql.conf (127.0.0.1 only, port, unix socket in $STATE,
#      max_prepared_transactions=10 for XA sinks, fsync off); a data directory made by an older
#      version of this script (trust auth, no password file) gets a password and scram-sha-256;
#   3. pg_ctl start -w (log in $STATE/postgres.log) on $PORT;
#   4. create the database notiflow if missing, write the JDBC URL to $STATE/jdbc.url and print it,
#      with the jdbc.* keys that pass the password the way a deployment does (on stderr).
# The script's own psql calls read the password from $STATE/pgpass (PGPASSFILE), never from the
# command line. PostgreSQL refuses to run as root: as root, every server command runs as the
# "postgres" OS user (runuser) and $STATE belongs to that user.
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
PASSWORD_FILE="$STATE/password"
PGPASS_FILE="$STATE/pgpass"
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
    log_info "user $DB_USER, password (scram-sha-256) in $PASSWORD_FILE; in the job's config:"
    log_info "  jdbc.url: $JDBC_URL"
    log_info "  jdbc.user: $DB_USER"
    log_info "  jdbc.password-file: $PASSWORD_FILE"
    log_info "or, with the default jdbc.password-env: export NOTIFLOW_JDBC_PASSWORD=\"\$(cat $PASSWORD_FILE)\""
    printf '%s\n' "$JDBC_URL"
}

# psql as the server's OS user, with the password from $PGPASS_FILE.
pg_sql() {
    as_pg env PGPASSFILE="$PGPASS_FILE" "$(bin psql)" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$@"
}

# $PASSWORD_FILE (a new random password) and $PGPASS_FILE for it, both mode 600 and, as root,
# owned by the postgres OS user (initdb reads the first).
write_password_files() {
    local password
    password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
    (
        umask 077
        printf '%s\n' "$password" >"$PASSWORD_FILE"
        printf '127.0.0.1:*:*:%s:%s\n' "$DB_USER" "$password" >"$PGPASS_FILE"
    )
    if [[ "$(id -u)" == "0" ]]; then
        chown postgres:postgres "$PASSWORD_FILE" "$PGPASS_FILE"
    fi
}

# A data directory from before passwords (trust auth): give the user a password while trust
# still lets us in, then require scram-sha-256 everywhere. Runs on the started server.
upgrade_to_password_auth() {
    log_info "$DATA uses trust authentication: setting a password and switching to scram-sha-256"
    write_password_files
    # The password goes in on stdin, never on a command line.
    printf "ALTER ROLE %s PASSWORD '%s';\n" "$DB_USER" "$(cat "$PASSWORD_FILE")" \
        | as_pg "$(bin psql)" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -q -v ON_ERROR_STOP=1 \
        || die "could not set the password of $DB_USER"
    as_pg sed -i -E 's/[[:space:]]trust[[:space:]]*$/ scram-sha-256/' "$DATA/pg_hba.conf"
    as_pg "$(bin pg_ctl)" reload -D "$DATA" -s >/dev/null
}

init_cluster() {
    mkdir -p "$STATE"
    if [[ "$(id -u)" == "0" ]]; then
        id postgres >/dev/null 2>&1 || die "OS user 'postgres' not found: install postgresql (scripts/test.sh does it)"
        chown postgres:postgres "$STATE"
    fi
    write_password_files
    log_info "initdb $DATA"
    as_pg "$(bin initdb)" -D "$DATA" -U "$DB_USER" --auth=scram-sha-256 --pwfile="$PASSWORD_FILE" \
        --encoding=UTF8 --locale=C >"$STATE/initdb.log" 2>&1 \
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
    if [[ ! -f "$PASSWORD_FILE" ]]; then
        upgrade_to_password_auth
    fi
    local exists
    exists="$(pg_sql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")"
    if [[ "$exists" != "1" ]]; then
        pg_sql -d postgres -qc "CREATE DATABASE $DB_NAME" \
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
    password-file) printf '%s\n' "$PASSWORD_FILE" ;;
    destroy) destroy ;;
    *)
        echo "usage: $0 start | stop | status | url | password-file | destroy" >&2
        exit 2
        ;;
esac
