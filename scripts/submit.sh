#!/usr/bin/env bash
# Submits, lists and stops jobs on a Flink session cluster through its REST API
# (curl + jq). Works against scripts/cluster.sh or any other Flink 2.x cluster.
#
#   scripts/submit.sh run [options] [-- program args...]
#       uploads the job jar (POST /jars/upload), runs it (POST /jars/:id/run) and prints the
#       job id on stdout; waits until the job and all its tasks are RUNNING.
#       --jar FILE            job jar (default: job/target/notiflow-job-*-shaded.jar)
#       --parallelism N       job parallelism (default: the cluster's parallelism.default)
#       --savepoint PATH      restore from this savepoint or retained checkpoint
#       --allow-non-restored  allow savepoint state without a matching operator (default: refuse)
#       --entry-class CLASS   main class (default: the jar manifest's Main-Class)
#       --no-wait             return right after submission
#   scripts/submit.sh lanes [--jar FILE] [--parallelism N] [--from-single SAVEPOINT] [--no-wait]
#                           [--no-router] -- --config FILE [program args...]
#       the priority lanes (README "Priority lanes"): the lane jobs high, normal and low
#       (NotificationJob --lane L), then the router (LaneRouterJob), from the same jar and
#       program args; prints "<name> <job id>" per job. --from-single starts the router and the
#       normal lane from the stopped single job's savepoint (unclaimed state allowed), high and
#       low empty: the migration of the README. --no-router leaves the router out (start it with
#       run --entry-class dev.notiflow.job.LaneRouterJob once the new lanes loaded the user state).
#   scripts/submit.sh stop JOB_ID [--target DIR] [--drain]
#       stop with a savepoint (POST /jobs/:id/stop), poll /jobs/:id/savepoints/:triggerid and
#       print the savepoint path on stdout
#   scripts/submit.sh savepoint JOB_ID [--target DIR]   savepoint without stopping
#   scripts/submit.sh cancel JOB_ID                      cancel without a savepoint
#   scripts/submit.sh list                               jobs: id, state, name
#   scripts/submit.sh status JOB_ID                      state of one job (RUNNING, FINISHED...;
#                                                        STARTING while tasks are deploying)
#   scripts/submit.sh wait JOB_ID STATE [SECONDS]        wait until the job reaches STATE
#   scripts/submit.sh jars                               uploaded jars
#
# Environment: FLINK_REST_URL (default http://localhost:${FLINK_REST_PORT:-8081}),
#              FLINK_SAVEPOINT_TIMEOUT seconds (default 300).
# Secrets never go in program args (the web UI shows them): use env vars or files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REST="${FLINK_REST_URL:-http://localhost:${FLINK_REST_PORT:-8081}}"
SAVEPOINT_TIMEOUT="${FLINK_SAVEPOINT_TIMEOUT:-300}"

say() { printf '[submit] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v curl >/dev/null || die "curl not found"
if ! command -v jq >/dev/null; then
    say "installing jq"
    (apt-get update -qq && apt-get install -y -qq jq) >/dev/null || die "could not install jq"
fi

# Flink's error answer, shortened to its first line and its root causes (the "Caused by" lines).
error_summary() {
    local errors
    errors="$(jq -r '(.errors // [.]) | map(tostring) | join("\n")' <<<"$1" 2>/dev/null || printf '%s' "$1")"
    {
        printf '%s\n' "$errors" | head -n 1
        printf '%s\n' "$errors" | grep -E '^(Caused by: |[a-z]+\.[A-Za-z.]+(Exception|Error): )' | tail -n 4
    } | awk '!seen[$0]++' | cut -c1-600
}

# One REST call; prints the body, fails with Flink's error message on a non-2xx answer.
rest() {
    local method=$1 path=$2
    shift 2
    local body status
    body="$(curl -sS -X "$method" -w '\n%{http_code}' "$@" "$REST$path")" \
        || die "$method $path: cannot reach $REST"
    status="${body##*$'\n'}"
    body="${body%$'\n'*}"
    if [[ "$status" != 2* ]]; then
        die "$method $path -> HTTP $status: $(error_summary "$body")"
    fi
    printf '%s\n' "$body"
}

default_jar() {
    local jars=("$ROOT"/job/target/notiflow-job-*-shaded.jar)
    [[ -f "${jars[0]}" ]] || die "no shaded job jar; build it with: mvn -B -pl job package -DskipTests"
    echo "${jars[0]}"
}

# The job's state; RUNNING only once every task runs (Flink reports a job RUNNING while its
# tasks are still deploying, and a savepoint can only be taken when all of them run).
job_state() {
    rest GET "/jobs/$1" | jq -r 'if .state == "RUNNING" and ([.vertices[].status]
        | any(. != "RUNNING" and . != "FINISHED")) then "STARTING" else .state end'
}

wait_state() {
    local job=$1 want=$2 timeout=${3:-120} deadline state
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        state="$(job_state "$job")"
        [[ "$state" == "$want" ]] && return 0
        case "$state" in
            FAILED | CANCELED | FINISHED)
                [[ "$want" == "$state" ]] || {
                    say "job $job is $state"
                    rest GET "/jobs/$job/exceptions" | jq -r '.rootException // empty' | head -n 40 >&2
                    return 1
                } ;;
        esac
        sleep 1
    done
    say "job $job still $state after ${timeout}s (wanted $want)"
    return 1
}

cmd_run() {
    local jar="" parallelism="" savepoint="" allow_nrs=false entry="" wait=true
    local args=()
    while (($#)); do
        case "$1" in
            --jar) jar=$2; shift 2 ;;
            --parallelism) parallelism=$2; shift 2 ;;
            --savepoint) savepoint=$2; shift 2 ;;
            --allow-non-restored) allow_nrs=true; shift ;;
            --entry-class) entry=$2; shift 2 ;;
            --no-wait) wait=false; shift ;;
            --) shift; args=("$@"); break ;;
            *) die "unknown option $1" ;;
        esac
    done
    [[ -n "$jar" ]] || jar="$(default_jar)"
    [[ -f "$jar" ]] || die "no such jar: $jar"

    say "uploading $(basename "$jar") to $REST"
    local upload jar_id
    upload="$(rest POST /jars/upload -H 'Expect:' -F "jarfile=@$jar;type=application/x-java-archive")"
    jar_id="$(jq -r '.filename' <<<"$upload")"
    jar_id="${jar_id##*/}"
    [[ -n "$jar_id" && "$jar_id" != null ]] || die "upload answered without a jar id: $upload"

    local request
    request="$(jq -n \
        --arg entry "$entry" --arg parallelism "$parallelism" --arg savepoint "$savepoint" \
        --argjson allow "$allow_nrs" '$ARGS.positional as $args
        | {programArgsList: $args, allowNonRestoredState: $allow}
        + (if $entry != "" then {entryClass: $entry} else {} end)
        + (if $parallelism != "" then {parallelism: ($parallelism | tonumber)} else {} end)
        + (if $savepoint != "" then {savepointPath: $savepoint} else {} end)' \
        --args -- ${args[@]+"${args[@]}"})"
    say "running $jar_id${parallelism:+ with parallelism $parallelism}${savepoint:+ from $savepoint}"
    local job
    job="$(rest POST "/jars/$jar_id/run" -H 'Content-Type: application/json' -d "$request" | jq -r '.jobid')"
    [[ -n "$job" && "$job" != null ]] || die "run answered without a job id"
    # The uploaded jar is no longer needed once the job graph is submitted.
    rest DELETE "/jars/$jar_id" >/dev/null || true
    if $wait; then
        wait_state "$job" RUNNING 180 || die "job $job did not reach RUNNING"
        say "job $job RUNNING"
    fi
    echo "$job"
}

# Polls an asynchronous savepoint operation and prints the savepoint location.
await_savepoint() {
    local job=$1 trigger=$2 deadline answer status
    deadline=$((SECONDS + SAVEPOINT_TIMEOUT))
    while ((SECONDS < deadline)); do
        answer="$(rest GET "/jobs/$job/savepoints/$trigger")"
        status="$(jq -r '.status.id' <<<"$answer")"
        if [[ "$status" == COMPLETED ]]; then
            local location
            location="$(jq -r '.operation.location // empty' <<<"$answer")"
            if [[ -z "$location" ]]; then
                die "savepoint failed: $(jq -r '.operation."failure-cause"."stack-trace" // .operation."failure-cause" // "unknown"' <<<"$answer" | head -n 20)"
            fi
            echo "$location"
            return 0
        fi
        sleep 1
    done
    die "savepoint of job $job not complete after ${SAVEPOINT_TIMEOUT}s"
}

savepoint_request() {
    local target="" drain=false
    while (($#)); do
        case "$1" in
            --target) target=$2; shift 2 ;;
            --drain) drain=true; shift ;;
            *) die "unknown option $1" ;;
        esac
    done
    jq -n --arg target "$target" --argjson drain "$drain" \
        '{drain: $drain, formatType: "CANONICAL"} + (if $target != "" then {targetDirectory: $target} else {} end)'
}

cmd_stop() {
    local job=${1:?job id}
    shift
    local request trigger location
    request="$(savepoint_request "$@")"
    say "stopping job $job with a savepoint"
    trigger="$(rest POST "/jobs/$job/stop" -H 'Content-Type: application/json' -d "$request" | jq -r '.["request-id"]')"
    location="$(await_savepoint "$job" "$trigger")"
    wait_state "$job" FINISHED 120 || die "job $job did not finish after its savepoint"
    say "job $job stopped; savepoint $location"
    echo "$location"
}

cmd_savepoint() {
    local job=${1:?job id}
    shift
    local request trigger
    request="$(savepoint_request "$@" | jq 'del(.drain) + {"cancel-job": false}')"
    trigger="$(rest POST "/jobs/$job/savepoints" -H 'Content-Type: application/json' -d "$request" | jq -r '.["request-id"]')"
    await_savepoint "$job" "$trigger"
}

cmd_cancel() {
    local job=${1:?job id}
    rest PATCH "/jobs/$job?mode=cancel" >/dev/null
    wait_state "$job" CANCELED 60
    say "job $job canceled"
}

cmd_lanes() {
    local common=() from="" args=() router=true
    while (($#)); do
        case "$1" in
            --jar | --parallelism) common+=("$1" "$2"); shift 2 ;;
            --no-wait) common+=("$1"); shift ;;
            --from-single) from=$2; shift 2 ;;
            --no-router) router=false; shift ;;
            --) shift; args=("$@"); break ;;
            *) die "unknown option $1" ;;
        esac
    done
    ((${#args[@]})) || die "lanes needs the program args after --, e.g. -- --config job.yaml"
    local lane restore job
    for lane in high normal low; do
        restore=()
        if [[ -n "$from" && "$lane" == normal ]]; then
            restore=(--savepoint "$from" --allow-non-restored)
        fi
        job="$(cmd_run ${common[@]+"${common[@]}"} ${restore[@]+"${restore[@]}"} \
            --entry-class dev.notiflow.job.NotificationJob -- "${args[@]}" --lane "$lane")"
        echo "notiflow-$lane $job"
    done
    $router || return 0
    restore=()
    [[ -z "$from" ]] || restore=(--savepoint "$from" --allow-non-restored)
    job="$(cmd_run ${common[@]+"${common[@]}"} ${restore[@]+"${restore[@]}"} \
        --entry-class dev.notiflow.job.LaneRouterJob -- "${args[@]}")"
    echo "notiflow-router $job"
}

cmd_list() {
    rest GET /jobs/overview | jq -r '.jobs | sort_by(."start-time") | .[] | [.jid, .state, .name] | @tsv'
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    lanes) shift; cmd_lanes "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    savepoint) shift; cmd_savepoint "$@" ;;
    cancel) shift; cmd_cancel "$@" ;;
    list) cmd_list ;;
    status) job_state "${2:?job id}" ;;
    wait) wait_state "${2:?job id}" "${3:?state}" "${4:-120}" ;;
    jars) rest GET /jars | jq -r '.files[] | [.id, .name] | @tsv' ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#' >&2; exit 2 ;;
esac
