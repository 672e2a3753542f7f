#!/usr/bin/env bash
# Runs Triggers from a fresh clone: builds what is missing, creates the database, starts the api
# (port 8080) and the worker (port 8081, actuator only), creates a demo organization with an
# endpoint pointing at a small local receiver, and prints an API key and a curl line to try.
# Ctrl-C stops everything. Logs are in .triggers/.
#
# Settings (environment): PGHOST, PGPORT, PGUSER (PostgreSQL for creating the database;
# localhost, 5432, postgres), TRIGGERS_ADMIN_TOKEN (generated when unset), SERVER ports via
# API_PORT, WORKER_PORT, DEMO_PORT (8080, 8081, 9000). Any other app setting (SPRING_*,
# TRIGGERS_*) is passed through to both apps.
set -euo pipefail
cd "$(dirname "$0")"

PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
API_PORT=${API_PORT:-8080}
WORKER_PORT=${WORKER_PORT:-8081}
DEMO_PORT=${DEMO_PORT:-9000}
STATE=.triggers
mkdir -p "$STATE"

say() { printf '\033[1m%s\033[0m\n' "$*"; }
fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

command -v java >/dev/null || fail "java (17 or newer) is required"
command -v curl >/dev/null || fail "curl is required"

# 1. Build when the jars are missing or any source is newer than the last build.
scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)

# 2. The database, created if absent.
if command -v psql >/dev/null; then
  if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -w -tAc "SELECT 1 FROM pg_database WHERE datname = 'triggers'" | grep -q 1; then
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -w -qc "CREATE DATABASE triggers" || fail "could not create database triggers on $PGHOST:$PGPORT"
    say "Created database triggers"
  fi
else
  say "psql not found: make sure database 'triggers' exists on $PGHOST:$PGPORT"
fi
export SPRING_R2DBC_URL=${SPRING_R2DBC_URL:-r2dbc:postgresql://$PGHOST:$PGPORT/triggers}
export SPRING_R2DBC_USERNAME=${SPRING_R2DBC_USERNAME:-$PGUSER}
export SPRING_FLYWAY_URL=${SPRING_FLYWAY_URL:-jdbc:postgresql://$PGHOST:$PGPORT/triggers}
export SPRING_FLYWAY_USER=${SPRING_FLYWAY_USER:-$PGUSER}

# 3. An admin token for operator calls.
if [ -z "${TRIGGERS_ADMIN_TOKEN:-}" ]; then
  TRIGGERS_ADMIN_TOKEN=adm_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
fi
export TRIGGERS_ADMIN_TOKEN
# The demo receiver is on loopback, which production refuses as a target.
export TRIGGERS_DELIVERY_ALLOW_PRIVATE_TARGETS=${TRIGGERS_DELIVERY_ALLOW_PRIVATE_TARGETS:-true}

pids=()
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    say "Stopping…"
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop INT TERM EXIT

wait_for() { # url seconds name log
  for _ in $(seq 1 $(($2 * 4))); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.25
  done
  tail -n 40 "$4" >&2
  fail "$3 did not come up within $2 s (log: $4)"
}

# 4. Start the apps, api first: it migrates the schema.
SERVER_PORT=$API_PORT java -jar "$API_JAR" > "$STATE/api.log" 2>&1 &
pids+=($!)
wait_for "http://localhost:$API_PORT/v1/health" 90 api "$STATE/api.log"
SERVER_PORT=$WORKER_PORT java -jar "$WORKER_JAR" > "$STATE/worker.log" 2>&1 &
pids+=($!)
wait_for "http://localhost:$WORKER_PORT/actuator/health" 90 worker "$STATE/worker.log"
: > "$STATE/demo-secret"
java scripts/DemoReceiver.java "$DEMO_PORT" "$STATE/demo-secret" &
pids+=($!)

# 5. A demo organization and an endpoint that delivers to the demo receiver.
API=http://localhost:$API_PORT
org=$(curl -sf -X POST "$API/v1/organizations" -H "Authorization: Bearer $TRIGGERS_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' -d "{\"name\":\"demo-$(date +%s)\",\"tier\":\"enterprise\"}") || fail "could not create the demo organization"
API_KEY=$(printf '%s' "$org" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
endpoint=$(curl -sf -X POST "$API/v1/endpoints" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$DEMO_PORT/webhooks\",\"description\":\"run.sh demo receiver\"}") || fail "could not create the demo endpoint"
printf '%s' "$endpoint" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' > "$STATE/demo-secret"

# 6. One event through the whole path before saying it runs (this also warms both apps up, so the
#    first event you send is as quick as the rest).
started=$(curl -sf -X POST "$API/v1/events" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d '{"event_type":"triggers.demo.started","source":"run.sh","payload":{"hello":"world"}}') || fail "could not send the first event"
first_event=$(printf '%s' "$started" | sed -n 's/^{"event_id":"\([^"]*\)".*/\1/p')
for _ in $(seq 1 120); do
  curl -sf "$API/v1/events/$first_event" -H "Authorization: Bearer $API_KEY" | grep -q '"status":"delivered"' && break
  sleep 0.25
done
curl -sf "$API/v1/events/$first_event" -H "Authorization: Bearer $API_KEY" | grep -q '"status":"delivered"' \
  || fail "the first event was not delivered within 30 s (logs: $STATE/api.log, $STATE/worker.log)"

cat <<MSG

$(say "Triggers is running.")
  api          $API   (health: $API/v1/health)
  worker       http://localhost:$WORKER_PORT/actuator/health
  admin token  $TRIGGERS_ADMIN_TOKEN
  API key      $API_KEY   (organization $(printf '%s' "$org" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p'))
  logs         $STATE/api.log, $STATE/worker.log

Send an event; the demo receiver below prints the signed webhook:

  curl -sS -X POST $API/v1/events -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d '{"event_type":"order.created","source":"shop","payload":{"order_id":42}}'

Ctrl-C stops api, worker and receiver.
MSG
wait
