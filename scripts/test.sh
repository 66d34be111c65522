#!/usr/bin/env bash
# The one test command: every module's unit tests (surefire, *Test) and integration tests
# (failsafe, *ITCase: real Kafka broker, real PostgreSQL, mock providers, Flink MiniCluster).
#
#   scripts/test.sh [MAVEN ARGS...]      e.g. scripts/test.sh -o   or   scripts/test.sh -pl sinks
#
# Steps:
#   1. check Java 17+ and Maven (ensure_java_maven);
#   2. make sure the PostgreSQL server binaries exist, installing the Debian package with
#      apt-get when missing (ensure_postgres); tests start their own private server with them,
#      unless NOTIFLOW_PG_URL names an existing server;
#   3. make sure redis-server exists (ensure_redis, apt-get when missing); tests start their own;
#   4. run `mvn -B verify` from the repository root, passing the arguments through. ITs run
#      one after another; `-Dit.forks=2` runs them in two failsafe JVMs side by side (shorter,
#      but the two can race for a free port), and `-Dit.forks=1` is passed when NOTIFLOW_PG_URL
#      names a server, whose one database every IT would share.
# Maven prints the test summary; the exit code is Maven's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ensure_java_maven
args=()
if [[ -n "${NOTIFLOW_PG_URL:-}" ]]; then
    log_info "using the PostgreSQL server named by NOTIFLOW_PG_URL"
    # Every IT would share that server's one database: no two of them may run at once.
    args+=(-Dit.forks=1)
else
    ensure_postgres
fi
ensure_redis
args+=("$@")

cd "$ROOT"
log_info "mvn -B verify ${args[*]}"
mvn_cmd verify "${args[@]}"
