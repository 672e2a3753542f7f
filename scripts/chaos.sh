#!/usr/bin/env bash
# Chaos run, by hand: starts its own Redis (no persistence, on a free port), a fresh database, one
# api and two workers from the built jars, sends events for SECONDS while killing (SIGKILL) and
# restarting the api, a worker or Redis at random, then waits for the backlog to drain and prints
# accepted, delivered, duplicated and lost counts. Exits 1 if any accepted event was lost.
#
#   scripts/chaos.sh [SECONDS]     (default 300; RATE=200 events/s, WORKERS=2, SEED, FAIL_PERCENT=1)
#
# Needs java 17+, redis-server, psql and a PostgreSQL at PGHOST:PGPORT (localhost:5432, user
# postgres). Output and logs: .triggers/chaos/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-300}
PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
STATE=.triggers/chaos
mkdir -p "$STATE"
rm -f "$STATE"/*.log

command -v redis-server >/dev/null || { echo "chaos.sh: redis-server is required" >&2; exit 2; }
command -v psql >/dev/null || { echo "chaos.sh: psql is required" >&2; exit 2; }

scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)

DATABASE=triggers_chaos_$(date +%s)
psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -w -qc "CREATE DATABASE $DATABASE"
cleanup() { psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -w -qc "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" || true; }
trap cleanup EXIT

java scripts/Chaos.java seconds="$SECONDS_TO_RUN" rate="${RATE:-200}" workers="${WORKERS:-2}" \
  fail-percent="${FAIL_PERCENT:-1}" ${SEED:+seed="$SEED"} state="$STATE" \
  pg="$PGHOST:$PGPORT" pg-user="$PGUSER" database="$DATABASE" api-jar="$API_JAR" worker-jar="$WORKER_JAR"
