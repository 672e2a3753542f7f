#!/usr/bin/env bash
# The capacity model's figures (README "Scaling", issue 18): PostgreSQL rows, commits and WAL bytes per
# event (single, with an Idempotency-Key, in batches) and per webhook, and Redis memory per queued
# delivery and per idempotency key. One endpoint, so one webhook per event.
#
#   bench/capacity.sh   (EVENTS=20000 per ingest phase)
#
# Needs java 17+, psql and redis-cli, PostgreSQL at PGHOST:PGPORT (localhost:5432, user postgres) and
# Redis at REDIS_HOST:REDIS_PORT (127.0.0.1:6379). Uses a scratch database and Redis key prefix, both
# removed at the end. The WAL position is the whole cluster's: run it on a PostgreSQL nothing else
# writes to. Results: bench/results/capacity-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
for tool in psql redis-cli; do
  command -v "$tool" >/dev/null || { echo "capacity.sh: $tool is required" >&2; exit 2; }
done

scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)
mkdir -p .triggers/bench/classes
javac -d .triggers/bench/classes bench/BenchSupport.java bench/Capacity.java

STAMP=$(date +%s)
DATABASE=triggers_capacity_$STAMP
PREFIX=capacity$STAMP
psql() { command psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -v ON_ERROR_STOP=1 -q "$@"; }
psql -d postgres -c "CREATE DATABASE $DATABASE"
cleanup() {
  psql -d postgres -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" || true
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:*" | xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
}
trap cleanup EXIT

java -Dsun.net.httpserver.nodelay=true -cp .triggers/bench/classes Capacity events="${EVENTS:-20000}" \
  pg-host="$PGHOST" pg-port="$PGPORT" pg-user="$PGUSER" database="$DATABASE" redis-host="$REDIS_HOST" redis-port="$REDIS_PORT" \
  prefix="$PREFIX" admin-token="capacity-$STAMP-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
  api-jar="$API_JAR" worker-jar="$WORKER_JAR" java="${APP_JAVA:-java}" state=.triggers/bench results=bench/results
