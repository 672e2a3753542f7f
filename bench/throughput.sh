#!/usr/bin/env bash
# Throughput benchmark: machine ceilings (pgbench, redis-benchmark), the framework's floor (a bare
# WebFlux app, bench/floor), and our figures (GET /v1/me, single-event ingestion without and with an
# endpoint, batch ingestion, delivery, ingest-to-receiver latency), each with its ratio to its ceiling
# and the CPU time every process spent per event. Every phase warms up until its rate is stable.
#
#   bench/throughput.sh   (SECONDS_PER_PHASE=20, CONCURRENCY=64, BATCH_SIZE=100, DELIVERY_EVENTS=20000, E2E_RATE=2000,
#                          WARMUP_MIN=20, PHASES=ceilings,floor,me,single-bare,single,single-filter,single-schema,batch,producer,delivery,e2e)
#   RUNTIMES="/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64" bench/throughput.sh
#                         runs the whole benchmark once per Java home given (the apps' runtime; default: the java on the PATH)
#   PROFILE=1 bench/throughput.sh   records JFR profiles of api and worker and renders them as flame graphs
#   ENDPOINT_MAX_IN_FLIGHT=256 bench/throughput.sh   the bench endpoint's max_in_flight (default: the service's, 16)
#
# Needs java 17+, wrk, psql, pgbench, redis-benchmark, PostgreSQL at PGHOST:PGPORT (localhost:5432,
# user postgres) and Redis at REDIS_HOST:REDIS_PORT (127.0.0.1:6379). Uses a scratch database and
# Redis key prefix, both removed at the end. Results: bench/results/throughput-*.json (and flame-*.html).
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
for tool in psql pgbench redis-benchmark redis-cli wrk; do
  command -v "$tool" >/dev/null || { echo "throughput.sh: $tool is required" >&2; exit 2; }
done

scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)
# The floor app and the tool itself.
if [ ! -f bench/floor/target/triggers-bench-floor-0.1.0-SNAPSHOT.jar ] \
    || [ -n "$(find bench/floor/pom.xml bench/floor/src -newer bench/floor/target/triggers-bench-floor-0.1.0-SNAPSHOT.jar -print -quit)" ]; then
  ./mvnw -B -q -f bench/floor/pom.xml package
fi
FLOOR_JAR=bench/floor/target/triggers-bench-floor-0.1.0-SNAPSHOT.jar
mkdir -p .triggers/bench/classes
javac -d .triggers/bench/classes bench/ProcessCpu.java bench/Throughput.java
# The producer phase runs the Java client (bench/ProducerLoad.java) with its jar and Jackson on the class path.
CLIENT_JAR=client/target/triggers-client-0.1.0-SNAPSHOT.jar
if [ ! -f "$CLIENT_JAR" ] || [ -n "$(find client/pom.xml client/src/main -newer "$CLIENT_JAR" -print -quit)" ]; then
  ./mvnw -B -q -pl client -am package -Dmaven.test.skip=true
fi
./mvnw -B -q -pl client dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$PWD/.triggers/bench/client.classpath" >/dev/null
CLIENT_CLASSPATH=$CLIENT_JAR:$(cat .triggers/bench/client.classpath)
javac -d .triggers/bench/classes -cp "$CLIENT_CLASSPATH" bench/ProducerLoad.java
CONVERTER=
if [ -n "${PROFILE:-}" ]; then
  ./mvnw -B -q dependency:get -Dartifact=tools.profiler:jfr-converter:4.1 >/dev/null
  CONVERTER=$HOME/.m2/repository/tools/profiler/jfr-converter/4.1/jfr-converter-4.1.jar
fi

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

for runtime in ${RUNTIMES:-default}; do
  APP_JAVA=java
  if [ "$runtime" != default ]; then
    [ -x "$runtime/bin/java" ] || { echo "throughput.sh: no $runtime/bin/java; skipping that runtime" >&2; continue; }
    APP_JAVA=$runtime/bin/java
  fi
  psql -d "$DATABASE" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:*" | xargs -r redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
  echo "== apps on $("$APP_JAVA" -version 2>&1 | head -1)"
  java -Dsun.net.httpserver.nodelay=true -cp .triggers/bench/classes Throughput phases="${PHASES:-all}" worker-args="${WORKER_ARGS:-}" api-args="${API_ARGS:-}" seconds="${SECONDS_PER_PHASE:-20}" concurrency="${CONCURRENCY:-64}" batch-size="${BATCH_SIZE:-100}" \
    e2e-rate="${E2E_RATE:-2000}" delivery-events="${DELIVERY_EVENTS:-20000}" endpoint-max-in-flight="${ENDPOINT_MAX_IN_FLIGHT:-}" pg-host="$PGHOST" pg-port="$PGPORT" pg-user="$PGUSER" database="$DATABASE" pgbench-db="$DATABASE" \
    redis-host="$REDIS_HOST" redis-port="$REDIS_PORT" prefix="$PREFIX" admin-token="bench-$STAMP-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
    client-classpath="$CLIENT_CLASSPATH" api-jar="$API_JAR" worker-jar="$WORKER_JAR" floor-jar="$FLOOR_JAR" java="$APP_JAVA" warmup-min="${WARMUP_MIN:-20}" \
    profile="$([ -n "${PROFILE:-}" ] && echo true || echo false)" jfr-converter="$CONVERTER" state=.triggers/bench results=bench/results
done
