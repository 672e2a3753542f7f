#!/usr/bin/env bash
# Noisy-neighbour benchmark: a "quiet" organization's ingest-to-receiver latency alone, then beside
# (a) a backlog to an endpoint that answers after 2 s, (b) a backlog to an endpoint that answers 500,
# (c) a burst to a healthy endpoint; with the noisy organization's delivery rate, attempts per noisy
# event, the quiet retries' lateness and the CPU each process used.
#
#   bench/isolation.sh    (BACKLOG=100000 BURST=50000 QUIET_RATE=50 SECONDS=30 WARMUP_SECONDS=20)
#   BACKLOG=2000 BURST=2000 SECONDS=10 WARMUP_SECONDS=5 bench/isolation.sh     # a quick check
#   CASES=alone,failing_backlog bench/isolation.sh                             # some cases only
#
# Other knobs: GRACE_SECONDS (60: how long late quiet webhooks are waited for after each window),
# QUIET_FAIL_EVERY (10: every n-th quiet event is answered 500 on its first attempt; 0 = none),
# SLOW_MS (2000), WARMUP_NOISY_RATE (500 events/s), RETRY_SCHEDULE (the service's default, given to
# the worker), API_ARGS / WORKER_ARGS (extra settings, e.g. WORKER_ARGS="--triggers.worker.concurrency=256"),
# SKIP_BUILD=1 (use the jars as they are).
#
# Needs java 17+, psql and redis-cli, PostgreSQL at PGHOST:PGPORT (localhost:5432, user postgres)
# and Redis at REDIS_HOST:REDIS_PORT (127.0.0.1:6379). Every case gets its own scratch database and
# Redis key prefix (removed after it) and its own api and worker. Results: bench/results/isolation-*.json.
MEASURE_SECONDS=$(printenv SECONDS || true) # read first: bash's own $SECONDS counts seconds since start
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
for tool in java psql redis-cli; do
  command -v "$tool" >/dev/null || { echo "isolation.sh: $tool is required" >&2; exit 2; }
done

[ "${SKIP_BUILD:-0}" = 1 ] || scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar 2>/dev/null | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar 2>/dev/null | head -1)
[ -n "$API_JAR" ] && [ -n "$WORKER_JAR" ] || { echo "isolation.sh: no built jars (run without SKIP_BUILD=1)" >&2; exit 2; }

STAMP=$(date +%s)
cleanup() { # the tool removes each case's database and keys itself; this catches an interrupted run
  command psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -qtA -d postgres \
    -c "SELECT datname FROM pg_database WHERE datname LIKE 'triggers\\_iso\\_${STAMP}\\_%'" 2>/dev/null |
    while read -r db; do
      [ -n "$db" ] && command psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
    done || true
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "iso$STAMP-*" | xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
}
trap cleanup EXIT

mkdir -p .triggers/isolation/classes
javac -d .triggers/isolation/classes bench/ProcessCpu.java bench/Isolation.java
java -Dsun.net.httpserver.nodelay=true -cp .triggers/isolation/classes Isolation \
  backlog="${BACKLOG:-100000}" burst="${BURST:-50000}" quiet-rate="${QUIET_RATE:-50}" seconds="${MEASURE_SECONDS:-30}" \
  warmup-seconds="${WARMUP_SECONDS:-20}" grace-seconds="${GRACE_SECONDS:-60}" quiet-fail-every="${QUIET_FAIL_EVERY:-10}" \
  slow-ms="${SLOW_MS:-2000}" warmup-noisy-rate="${WARMUP_NOISY_RATE:-500}" retry-schedule="${RETRY_SCHEDULE:-5s,30s,2m,10m,30m,1h,3h,6h}" \
  cases="${CASES:-all}" api-args="${API_ARGS:-}" worker-args="${WORKER_ARGS:-}" \
  pg-host="$PGHOST" pg-port="$PGPORT" pg-user="$PGUSER" redis-host="$REDIS_HOST" redis-port="$REDIS_PORT" stamp="$STAMP" \
  admin-token="bench-$STAMP-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
  api-jar="$API_JAR" worker-jar="$WORKER_JAR" state=.triggers/isolation results=bench/results
