# Shared helpers for the scripts in scripts/. Source it, do not run it:
#
#   ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
#   source "$ROOT/scripts/lib.sh"
#
# What it provides:
#   log_info / log_warn / log_error / die   messages on stderr, prefixed with the script name
#   ensure_java_maven                       Java 17+ and Maven present, or a clear error
#   ensure_postgres                         PostgreSQL server binaries present; installs the
#                                           Debian package with apt-get (as root) when missing
#   pg_bin_dir                              prints the directory holding initdb and pg_ctl
#   mvn_cmd ARGS...                         mvn -B (no colours in CI or when not on a terminal)
#   port_in_use PORT                        true when something listens on 127.0.0.1:PORT
#   pid_alive PID                           true when the process exists
#
# It sets no shell options; callers use `set -euo pipefail`.

NOTIFLOW_ROOT="${NOTIFLOW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
_NOTIFLOW_SCRIPT="$(basename "${0:-notiflow}" .sh)"

log_info() { printf '[%s] %s\n' "$_NOTIFLOW_SCRIPT" "$*" >&2; }
log_warn() { printf '[%s] WARNING: %s\n' "$_NOTIFLOW_SCRIPT" "$*" >&2; }
log_error() { printf '[%s] ERROR: %s\n' "$_NOTIFLOW_SCRIPT" "$*" >&2; }
die() {
    log_error "$*"
    exit 1
}

# Java 17 or newer and Maven on the PATH.
ensure_java_maven() {
    command -v java >/dev/null 2>&1 \
        || die "java not found: install a JDK 17 or newer (e.g. apt-get install -y openjdk-17-jdk-headless)"
    local version major
    version="$(java -version 2>&1 | awk -F '"' '/version/ {print $2; exit}')"
    major="${version%%.*}"
    if [[ "$major" == "1" ]]; then
        major="$(echo "$version" | cut -d. -f2)"
    fi
    [[ "$major" =~ ^[0-9]+$ ]] || die "cannot read the Java version from: $(java -version 2>&1 | head -n 1)"
    ((major >= 17)) || die "Java $version found, Java 17 or newer is required"
    command -v mvn >/dev/null 2>&1 \
        || die "mvn not found: install Apache Maven 3.8 or newer (e.g. apt-get install -y maven)"
    if [[ -n "${JAVA_HOME:-}" && ! -x "$JAVA_HOME/bin/java" ]]; then
        log_warn "JAVA_HOME=$JAVA_HOME has no bin/java; Maven may fail"
    fi
}

# The directory with initdb and pg_ctl: $NOTIFLOW_PG_BIN, pg_config --bindir, the newest
# /usr/lib/postgresql/*/bin, or initdb on the PATH. Prints nothing and fails if none.
pg_bin_dir() {
    local dir
    if [[ -n "${NOTIFLOW_PG_BIN:-}" ]]; then
        [[ -x "$NOTIFLOW_PG_BIN/initdb" && -x "$NOTIFLOW_PG_BIN/pg_ctl" ]] || return 1
        printf '%s\n' "$NOTIFLOW_PG_BIN"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && echo "$d"
    done | tail -n 1)"
    if [[ -n "$dir" ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1; then
        dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
        if [[ -x "$dir/pg_ctl" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    return 1
}

# PostgreSQL server binaries (initdb, pg_ctl) installed; with apt-get as root when missing.
ensure_postgres() {
    if pg_bin_dir >/dev/null; then
        return 0
    fi
    if [[ -n "${NOTIFLOW_PG_BIN:-}" ]]; then
        die "NOTIFLOW_PG_BIN=$NOTIFLOW_PG_BIN has no initdb and pg_ctl"
    fi
    if [[ "$(id -u)" != "0" ]]; then
        die "PostgreSQL server binaries (initdb) not found and not root: install postgresql" \
            "(e.g. sudo apt-get install -y postgresql) or set NOTIFLOW_PG_URL to an existing server"
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "initdb not found and no apt-get: install the PostgreSQL server yourself, or set NOTIFLOW_PG_URL"
    log_info "initdb not found: installing PostgreSQL with: apt-get update && apt-get install -y postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
        || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2 \
        || die "apt-get install postgresql failed"
    pg_bin_dir >/dev/null || die "postgresql was installed but initdb is still not found"
    log_info "PostgreSQL installed: $(pg_bin_dir)"
}

# redis-server (the live channel's push registry) installed; with apt-get as root when missing.
# Tests start their own private server with it (testkit LocalRedis, which installs it too).
ensure_redis() {
    if command -v redis-server >/dev/null 2>&1 || [[ -x /usr/bin/redis-server ]]; then
        return 0
    fi
    if [[ "$(id -u)" != "0" ]]; then
        die "redis-server not found and not root: install it (e.g. sudo apt-get install -y redis-server)"
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "redis-server not found and no apt-get: install Redis 7 yourself"
    log_info "redis-server not found: installing it with: apt-get update && apt-get install -y redis-server"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server >&2 \
        || die "apt-get install redis-server failed"
}

# Maven in batch mode; no ANSI colours in CI logs or when the output is not a terminal.
mvn_cmd() {
    local args=(-B)
    if [[ -n "${CI:-}" || ! -t 1 ]]; then
        args+=(-Dstyle.color=never)
    fi
    mvn "${args[@]}" "$@"
}

# True when a TCP server listens on 127.0.0.1:PORT.
# Builds and installs the sandbox module and what it needs (no tests), then prints the classpath
# to run its classes with (run-local.sh, bench.sh). Call from the repository root.
sandbox_classpath() {
    local build_log cp_file
    build_log="$(mktemp)"
    if ! mvn_cmd -q -pl sandbox -am install -Dmaven.test.skip=true >"$build_log" 2>&1; then
        cat "$build_log" >&2
        die "the build failed (output above)"
    fi
    rm -f "$build_log"
    # Absolute: the dependency plugin resolves a relative outputFile against the module's
    # directory, not the current one.
    cp_file="$(pwd)/sandbox/target/classpath.txt"
    rm -f "$cp_file"
    mvn_cmd -q -pl sandbox dependency:build-classpath -Dmdep.outputFile="$cp_file" \
        -Dmdep.includeScope=runtime >/dev/null
    [[ -s "$cp_file" ]] || die "the sandbox classpath was not written to $cp_file"
    printf '%s\n' "$(pwd)/sandbox/target/classes:$(cat "$cp_file")"
}

# The --add-opens flags Flink needs on Java 17, one per line, for a JVM run from the scripts
# (a MiniCluster in-process: run-local.sh, bench.sh).
flink_jvm_flags() {
    local p
    for p in java.base/java.lang java.base/java.util java.base/java.nio java.base/sun.nio.ch \
        java.base/java.lang.reflect java.base/java.io java.base/java.net java.base/java.util.concurrent \
        java.base/java.util.concurrent.atomic java.base/java.time java.base/java.text java.sql/java.sql; do
        printf -- '--add-opens=%s=ALL-UNNAMED\n' "$p"
    done
    printf -- '-Dsun.net.httpserver.nodelay=true\n'
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when the process PID exists.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null
}
