#!/usr/bin/env bash
# Chaos run, by hand: starts its own PostgreSQL (initdb + pg_ctl on a spare port, in a scratch
# directory; the machine's server is untouched), its own Redis (no persistence, on a free port), two
# api and two worker replicas from the built jars, sends events for SECONDS while killing (SIGKILL)
# and restarting an api, a worker or Redis, or crashing PostgreSQL (pg_ctl stop -m immediate: no
# checkpoint, WAL recovery on start) and starting it again, at random; then waits for the backlog to
# drain and prints accepted, delivered, duplicated and lost counts. Exits 1 if any accepted event
# was lost.
#
#   scripts/chaos.sh [SECONDS]     (default 300; RATE=200 events/s, APIS=2, WORKERS=2, SEED, FAIL_PERCENT=1)
#
# Needs java 17+, redis-server and the PostgreSQL server binaries (initdb, pg_ctl; found with
# pg_config or under /usr/lib/postgresql). PostgreSQL refuses to run as root: as root, the cluster is
# made and run as the postgres user (runuser). Output and logs: .triggers/chaos/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-300}
STATE=.triggers/chaos
mkdir -p "$STATE"
rm -f "$STATE"/*.log

command -v redis-server >/dev/null || { echo "chaos.sh: redis-server is required" >&2; exit 2; }
PG_BIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "${PG_BIN:-}/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "${PG_BIN:-}/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || { echo "chaos.sh: PostgreSQL's initdb and pg_ctl are required" >&2; exit 2; }

scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)

# A port nothing listens on, below the ephemeral range.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((33000 + RANDOM % 6000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  echo "chaos.sh: no free port" >&2; exit 2
}

PG_DIR=$(mktemp -d /tmp/triggers-chaos-pg.XXXXXX)
AS_POSTGRES=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PG_DIR"
  AS_POSTGRES=(runuser -u postgres --)
fi
PG_PORT=$(free_port)
"${AS_POSTGRES[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$STATE/initdb.log"
# 2 apis and 2 workers take up to 32 connections each.
PG_CTL="$(printf '%q ' "${AS_POSTGRES[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log")"
PG_OPTIONS="-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200"
PG_START="$PG_CTL -w -t 60 -o $(printf '%q' "$PG_OPTIONS") start"
PG_STOP="$PG_CTL -m immediate stop"
cleanup() {
  bash -c "$PG_STOP" >/dev/null 2>&1 || true
  cp "$PG_DIR/postgres.log" "$STATE/postgres-server.log" 2>/dev/null || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT
bash -c "$PG_START" >/dev/null
"${AS_POSTGRES[@]}" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE triggers_chaos"

java scripts/Chaos.java seconds="$SECONDS_TO_RUN" rate="${RATE:-200}" apis="${APIS:-2}" workers="${WORKERS:-2}" \
  fail-percent="${FAIL_PERCENT:-1}" ${SEED:+seed="$SEED"} state="$STATE" \
  pg="127.0.0.1:$PG_PORT" pg-user=postgres database=triggers_chaos pg-start="$PG_START" pg-stop="$PG_STOP" \
  api-jar="$API_JAR" worker-jar="$WORKER_JAR"
