#!/usr/bin/env bash
# The deployment test on its own: the shaded job jar on a real standalone Flink session cluster.
#
#   scripts/deploy-test.sh [MAVEN ARGS...]        e.g. scripts/deploy-test.sh -o
#
# Steps:
#   1. check Java 17+ and Maven;
#   2. one Maven reactor run over connectors, sinks, testkit, job and sandbox that builds the
#      shaded job jar (job's package phase) and runs the cluster tests: ClusterDeploymentITCase,
#        - starts a Kafka broker and the local mock providers in the test JVM,
#        - starts a JobManager and a TaskManager with scripts/cluster.sh (own ports, state under
#          sandbox/target/flink-deploy-it/<time>/, logs in its log/),
#        - submits the jar with scripts/submit.sh, sends preferences, a device token and events,
#        - stops the job with a savepoint and resubmits it from there with another parallelism,
#        - checks that a repeated event is dropped, the profile and the device are remembered,
#          and that no provider was called twice; then stops the cluster;
#      and TaskManagerCrashITCase, which kills the TaskManager with SIGKILL in the middle of
#      3,000 emails (shipped config.yaml and job.yaml, send ledger on against a local
#      PostgreSQL), starts a new one with scripts/cluster.sh taskmanager start, and checks that
#      every notification has exactly one delivery record and that repeated emails stay within
#      the sends in flight.
# The exit code is Maven's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

ensure_java_maven
cd "$ROOT"
log_info "building the job jar and running ClusterDeploymentITCase and TaskManagerCrashITCase"
mvn_cmd -pl contracts,connectors,sinks,testkit,job,sandbox verify \
    -Dtest=NoUnitTests -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test='ClusterDeploymentITCase,TaskManagerCrashITCase' -Dfailsafe.failIfNoSpecifiedTests=false \
    "$@"
