#!/usr/bin/env bash
# Do worker replicas add throughput? (issue 18) Delivery bound by waiting, not by CPU: a receiver that
# answers after 100 ms, events spread over 64 endpoints, a worker concurrency of 8 per replica; 1, 2 and
# 4 worker replicas, webhooks/s for each and its ratio to one replica (target: 2 replicas >= 1.8x,
# 4 replicas >= 3.2x).
#
#   bench/scaling.sh   (REPLICAS=1,2,4 CONCURRENCY=8 ENDPOINTS=64 RECEIVER_DELAY_MS=100 SECONDS_MEASURED=30 WARMUP=20)
#
# Needs java 17+, psql and redis-cli, PostgreSQL at PGHOST:PGPORT (localhost:5432, user postgres) and
# Redis at REDIS_HOST:REDIS_PORT (127.0.0.1:6379). Uses a scratch database and Redis key prefix, both
# removed at the end. Results: bench/results/scaling-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
for tool in psql redis-cli; do
  command -v "$tool" >/dev/null || { echo "scaling.sh: $tool is required" >&2; exit 2; }
done

scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)
mkdir -p .triggers/bench/classes
javac -d .triggers/bench/classes bench/BenchSupport.java bench/Scaling.java

STAMP=$(date +%s)
DATABASE=triggers_scaling_$STAMP
PREFIX=scaling$STAMP
psql() { command psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -v ON_ERROR_STOP=1 -q "$@"; }
psql -d postgres -c "CREATE DATABASE $DATABASE"
cleanup() {
  psql -d postgres -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" || true
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:*" | xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
}
trap cleanup EXIT

java -Dsun.net.httpserver.nodelay=true -cp .triggers/bench/classes Scaling replicas="${REPLICAS:-1,2,4}" concurrency="${CONCURRENCY:-8}" endpoints="${ENDPOINTS:-64}" \
  receiver-delay-ms="${RECEIVER_DELAY_MS:-100}" seconds="${SECONDS_MEASURED:-30}" warmup="${WARMUP:-20}" \
  pg-host="$PGHOST" pg-port="$PGPORT" pg-user="$PGUSER" database="$DATABASE" redis-host="$REDIS_HOST" redis-port="$REDIS_PORT" \
  prefix="$PREFIX" admin-token="scaling-$STAMP-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
  api-jar="$API_JAR" worker-jar="$WORKER_JAR" java="${APP_JAVA:-java}" state=.triggers/bench results=bench/results
