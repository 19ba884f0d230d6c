#!/usr/bin/env bash
# make test-cluster: the end-to-end tests and the drills against the real engine — the Temporal
# server v1.30.4 on Postgres (scripts/cluster.sh), not the dev server.
#
#   1. one server process (frontend, history, matching, worker): the end-to-end tests of the three
#      processes (./e2e, each test in a namespace of its own), then the drills: the server killed -9
#      while ports provision and while a release runs (TestReliabilityTemporalRestart), Postgres
#      restarted under Temporal and the product (TestReliabilityPostgresRestart), two workers with
#      one killed again and again (TestReliabilityTwoWorkers), and the upgrade drill (TestUpgradeDrill);
#   2. the four services as separate processes: the history service killed -9 and restarted while
#      ports provision and while a release runs.
#
# The cluster is its own: frontend 127.0.0.1:$CLUSTER_FRONTEND_PORT (17233), databases temporal_ci and
# temporal_ci_visibility (dropped first: every run starts clean), no UI, state in bin/cluster/run-ci;
# a `make cluster` beside it is untouched. Each drill logs the counts it checked (-v).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export CLUSTER_FRONTEND_PORT=${CLUSTER_FRONTEND_PORT:-17233}
export CLUSTER_DB_NAME=${CLUSTER_DB_NAME:-temporal_ci}
export CLUSTER_RUN_DIR=${CLUSTER_RUN_DIR:-$ROOT/bin/cluster/run-ci}
export CLUSTER_UI=off
export TEMPORAL_CLI=${TEMPORAL_CLI:-$ROOT/bin/temporal}
GO=${GO:-go}
ADDR=127.0.0.1:$CLUSTER_FRONTEND_PORT
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}

log() { echo "==> [test-cluster $(date +%H:%M:%S)] $*" >&2; }
began=$(date +%s)
elapsed() { echo "$(( $(date +%s) - began ))s"; }

cleanup() {
  local rc=$?
  scripts/cluster.sh down >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ]; then
    log "FAILED after $(elapsed); the cluster's logs (tail):"
    for f in "$CLUSTER_RUN_DIR"/*.log; do
      [ -f "$f" ] || continue
      echo "--- $f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  exit "$rc"
}
trap cleanup EXIT

fresh_databases() {
  command -v psql >/dev/null 2>&1 || { log "psql missing: the databases are reused"; return 0; }
  for db in "$CLUSTER_DB_NAME" "${CLUSTER_DB_NAME}_visibility"; do
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  done
}

# Postgres restarts only where this user may restart it (pg_ctlcluster as root or postgres).
if [ -z "${PORTING_PG_RESTART:-}" ]; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ "$(id -un)" = postgres ]; }; then
    export PORTING_PG_RESTART=1
  else
    log "not root nor postgres: TestReliabilityPostgresRestart will skip (set PORTING_PG_RESTART to force)"
  fi
fi

scripts/cluster.sh down >/dev/null 2>&1 || true
# Another program on the cluster's ports (a dev server, a make cluster) would answer in its place.
for port in "$CLUSTER_FRONTEND_PORT" $((CLUSTER_FRONTEND_PORT + 1)) $((CLUSTER_FRONTEND_PORT + 2)) $((CLUSTER_FRONTEND_PORT + 6)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "test-cluster: 127.0.0.1:$port is in use by another program; free it or set CLUSTER_FRONTEND_PORT" >&2
    exit 1
  fi
done
fresh_databases

log "1. the cluster as one server process"
t0=$(date +%s)
CLUSTER_SERVICES=single scripts/cluster.sh up
log "cluster up in $(( $(date +%s) - t0 ))s"

log "1a. the end-to-end tests against the cluster ($ADDR)"
PORTING_E2E_CLUSTER=$ADDR $GO test -race -count=1 -timeout 25m ./e2e/

log "1b. drills: server killed -9, Postgres restarted, two workers, the upgrade"
PORTING_E2E_CLUSTER=$ADDR $GO test -race -tags reliability -count=1 -timeout 40m -v \
  -run 'TestReliabilityTemporalRestart|TestReliabilityPostgresRestart|TestReliabilityTwoWorkers|TestUpgradeDrill' ./e2e/
scripts/cluster.sh down

log "2. the cluster as four processes (frontend, history, matching, worker)"
CLUSTER_SERVICES=split scripts/cluster.sh up
log "2a. drill: the history service killed -9 and restarted"
PORTING_E2E_CLUSTER=$ADDR CLUSTER_SERVICES=split CLUSTER_KILL_SERVICES=history \
  $GO test -race -tags reliability -count=1 -timeout 15m -v -run 'TestReliabilityTemporalRestart' ./e2e/
CLUSTER_SERVICES=split scripts/cluster.sh down

log "green in $(elapsed)"
