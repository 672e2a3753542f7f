#!/usr/bin/env bash
# Throughput benchmark: machine ceilings (pgbench, redis-benchmark) and our figures (single and
# batch ingestion, delivery, ingest-to-receiver latency), each as a ratio to its ceiling.
#
#   bench/throughput.sh   (SECONDS_PER_PHASE=20, CONCURRENCY=64, BATCH_SIZE=100, DELIVERY_EVENTS=20000, E2E_RATE=2000)
#
# Needs java 17+, psql, pgbench, redis-benchmark, PostgreSQL at PGHOST:PGPORT (localhost:5432,
# user postgres) and Redis at REDIS_HOST:REDIS_PORT (127.0.0.1:6379). Uses a scratch database and
# Redis key prefix, both removed at the end. Results: bench/results/throughput-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
for tool in psql pgbench redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "throughput.sh: $tool is required" >&2; exit 2; }
done

scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)

STAMP=$(date +%s)
DATABASE=triggers_bench_$STAMP
PREFIX=bench$STAMP
psql() { command psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -v ON_ERROR_STOP=1 -q "$@"; }
psql -d postgres -c "CREATE DATABASE $DATABASE"
cleanup() {
  psql -d postgres -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" || true
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:*" | xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
}
trap cleanup EXIT
# The ceiling's table: the columns and primary key of events (the api creates the real one, in public).
psql -d "$DATABASE" -c "CREATE SCHEMA ceiling; CREATE TABLE ceiling.bench_events (id uuid PRIMARY KEY, organization_id uuid NOT NULL, event_type text NOT NULL,
  source text, payload jsonb NOT NULL, metadata jsonb NOT NULL, status text NOT NULL, request_id text,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)"

java -Dsun.net.httpserver.nodelay=true bench/Throughput.java phases="${PHASES:-all}" worker-args="${WORKER_ARGS:-}" api-args="${API_ARGS:-}" seconds="${SECONDS_PER_PHASE:-20}" concurrency="${CONCURRENCY:-64}" batch-size="${BATCH_SIZE:-100}" \
  e2e-rate="${E2E_RATE:-2000}" delivery-events="${DELIVERY_EVENTS:-20000}" delivery-warmup="${DELIVERY_WARMUP:-10000}" pg-host="$PGHOST" pg-port="$PGPORT" pg-user="$PGUSER" database="$DATABASE" pgbench-db="$DATABASE" \
  redis-host="$REDIS_HOST" redis-port="$REDIS_PORT" prefix="$PREFIX" admin-token="bench-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  api-jar="$API_JAR" worker-jar="$WORKER_JAR" state=.triggers/bench results=bench/results
