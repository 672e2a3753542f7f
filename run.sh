#!/usr/bin/env bash
# Runs Triggers from a fresh clone: builds what is missing, finds or starts PostgreSQL and Redis,
# creates the database, starts the api (port 8080, actuator on 8090) and the worker (port 8081,
# actuator only), creates a demo organization with an endpoint pointing at a small local receiver
# (kept for the next run), and prints an API key and a curl line to try. Ctrl-C stops everything.
# Needs Java 17+ and curl; nothing else. Logs and state are in .triggers/.
#
# PostgreSQL and Redis (TRIGGERS_EMBEDDED):
#   auto (default)  use the servers at the default addresses (localhost:5432, localhost:6379) when
#                   they answer; for each that does not, start an embedded one: a real server from
#                   binaries on Maven Central (PostgreSQL 14, Redis 6.2) on 127.0.0.1:15432 / :16379,
#                   data kept in .triggers/embedded/ so the next run finds it. As root, the embedded
#                   PostgreSQL runs as an unprivileged account (postgres, else nobody).
#   always          embedded servers even when local ones run.
#   never           only the configured servers; fail when one does not answer.
# An address you set (PGHOST/PGPORT or SPRING_R2DBC_URL; SPRING_DATA_REDIS_URL/_HOST/_PORT) is
# always used as it is, and run.sh stops if it does not answer; it is never replaced.
#
# Settings (environment): PGHOST, PGPORT, PGUSER (PostgreSQL for creating the database;
# localhost, 5432, postgres), TRIGGERS_ADMIN_TOKEN (generated when unset; at least 32 characters),
# TRIGGERS_ENCRYPTION_KEYS (made once and kept in .triggers/encryption-keys when unset), ports via
# API_PORT, API_MANAGEMENT_PORT, WORKER_PORT, DEMO_PORT (8080, 8090, 8081, 9000) and
# TRIGGERS_EMBEDDED_POSTGRES_PORT, TRIGGERS_EMBEDDED_REDIS_PORT (15432, 16379), TRIGGERS_STATE (the
# state directory, .triggers). Any other app setting (SPRING_*, TRIGGERS_*) is passed to both apps.
set -euo pipefail
cd "$(dirname "$0")"

explicit_pg=${PGHOST:+ PGHOST}${PGPORT:+ PGPORT}${SPRING_R2DBC_URL:+ SPRING_R2DBC_URL}
explicit_pg=${explicit_pg# }
explicit_redis=${SPRING_DATA_REDIS_URL:+ SPRING_DATA_REDIS_URL}${SPRING_DATA_REDIS_HOST:+ SPRING_DATA_REDIS_HOST}${SPRING_DATA_REDIS_PORT:+ SPRING_DATA_REDIS_PORT}
explicit_redis=${explicit_redis# }
PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
API_PORT=${API_PORT:-8080}
API_MANAGEMENT_PORT=${API_MANAGEMENT_PORT:-8090}
WORKER_PORT=${WORKER_PORT:-8081}
DEMO_PORT=${DEMO_PORT:-9000}
EMBEDDED=${TRIGGERS_EMBEDDED:-auto}
EMBEDDED_POSTGRES_PORT=${TRIGGERS_EMBEDDED_POSTGRES_PORT:-15432}
EMBEDDED_REDIS_PORT=${TRIGGERS_EMBEDDED_REDIS_PORT:-16379}
STATE=${TRIGGERS_STATE:-.triggers}
mkdir -p "$STATE"

say() { printf '\033[1m%s\033[0m\n' "$*"; }
fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

command -v java >/dev/null || fail "java (17 or newer) is required"
command -v curl >/dev/null || fail "curl is required"
case $EMBEDDED in auto|always|never) ;; *) fail "TRIGGERS_EMBEDDED is '$EMBEDDED'; it takes auto, always or never" ;; esac

# Whether something accepts TCP connections at host $1, port $2.
answers() {
  if command -v timeout >/dev/null; then
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
  else
    bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
  fi
}
# host:port of a URL such as r2dbc:postgresql://user@host:port/db or redis://:secret@host:port/0.
host_port() { printf '%s' "$1" | sed -E 's#^[a-z0-9:+]*//##; s#^[^@/]*@##; s#[/?].*$##'; }

# 1. Build when the jars are missing or any source is newer than them.
scripts/build-if-stale.sh
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)

pids=()        # api, worker, receiver
servers_pid=   # the embedded servers, stopped after the apps
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ] || [ -n "$servers_pid" ]; then
    say "Stopping…"
  fi
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ -n "$servers_pid" ]; then
    kill "$servers_pid" 2>/dev/null || true
    wait "$servers_pid" 2>/dev/null || true
  fi
}
trap stop INT TERM EXIT

# 2. PostgreSQL and Redis: configured, local, or embedded (see the top of this file).
embed_pg=false
embed_redis=false
if [ -n "$explicit_pg" ]; then
  [ "$EMBEDDED" = always ] && fail "TRIGGERS_EMBEDDED=always, but $explicit_pg set a PostgreSQL to use; unset one or the other"
  pg_address=$PGHOST:$PGPORT
  [ -n "${SPRING_R2DBC_URL:-}" ] && pg_address=$(host_port "$SPRING_R2DBC_URL")
  answers "${pg_address%:*}" "${pg_address##*:}" || fail "PostgreSQL at $pg_address (set by $explicit_pg) does not answer"
elif [ "$EMBEDDED" = always ] || { [ "$EMBEDDED" = auto ] && ! answers "$PGHOST" "$PGPORT"; }; then
  embed_pg=true
elif ! answers "$PGHOST" "$PGPORT"; then
  fail "no PostgreSQL answers at $PGHOST:$PGPORT (TRIGGERS_EMBEDDED=never); start one, or set PGHOST/PGPORT, or use TRIGGERS_EMBEDDED=auto"
fi
if [ -n "$explicit_redis" ]; then
  [ "$EMBEDDED" = always ] && fail "TRIGGERS_EMBEDDED=always, but $explicit_redis set a Redis to use; unset one or the other"
  redis_address=$(host_port "${SPRING_DATA_REDIS_URL:-redis://${SPRING_DATA_REDIS_HOST:-localhost}:${SPRING_DATA_REDIS_PORT:-6379}}")
  [ "${redis_address##*:}" = "$redis_address" ] && redis_address=$redis_address:6379
  answers "${redis_address%:*}" "${redis_address##*:}" || fail "Redis at $redis_address (set by $explicit_redis) does not answer"
elif [ "$EMBEDDED" = always ] || { [ "$EMBEDDED" = auto ] && ! answers localhost 6379; }; then
  embed_redis=true
elif ! answers localhost 6379; then
  fail "no Redis answers at localhost:6379 (TRIGGERS_EMBEDDED=never); start one, or set SPRING_DATA_REDIS_URL, or use TRIGGERS_EMBEDDED=auto"
fi

if $embed_pg || $embed_redis; then
  servers_args=(--dir "$STATE/embedded")
  $embed_pg && servers_args+=(--postgres-port "$EMBEDDED_POSTGRES_PORT")
  $embed_redis && servers_args+=(--redis-port "$EMBEDDED_REDIS_PORT")
  EMBEDDED_JAR=$(ls embedded/target/triggers-embedded-*.jar | head -1)
  # Emptied here, not by the redirection below: that one happens in the background job, and the loop
  # could read the last run's "ready" before it did.
  : > "$STATE/embedded.log"
  java -cp "$EMBEDDED_JAR:$(cat embedded/target/launcher.classpath)" io.triggers.embedded.EmbeddedServers "${servers_args[@]}" \
    > "$STATE/embedded.log" 2>&1 &
  servers_pid=$!
  for _ in $(seq 1 480); do
    grep -qx ready "$STATE/embedded.log" && break
    kill -0 "$servers_pid" 2>/dev/null || break
    sleep 0.25
  done
  if ! grep -qx ready "$STATE/embedded.log"; then
    cat "$STATE/embedded.log" >&2
    if kill -0 "$servers_pid" 2>/dev/null; then
      fail "the embedded servers did not start within 120 s (log: $STATE/embedded.log)"
    fi
    status=0
    wait "$servers_pid" || status=$?
    servers_pid=
    fail "the embedded servers did not start: the launcher exited with status $status (log: $STATE/embedded.log)"
  fi
  say "Started embedded $(grep -v '^ready$\|^starting ' "$STATE/embedded.log" | paste -sd ';' - | sed 's/;/; /g') — no local server needed"
fi
if $embed_pg; then
  PGHOST=127.0.0.1 PGPORT=$EMBEDDED_POSTGRES_PORT PGUSER=postgres  # the launcher created database triggers
elif command -v psql >/dev/null && [ -z "${SPRING_R2DBC_URL:-}" ]; then
  if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -w -tAc "SELECT 1 FROM pg_database WHERE datname = 'triggers'" | grep -q 1; then
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -w -qc "CREATE DATABASE triggers" || fail "could not create database triggers on $PGHOST:$PGPORT"
    say "Created database triggers"
  fi
elif [ -z "${SPRING_R2DBC_URL:-}" ]; then
  say "psql not found: make sure database 'triggers' exists on $PGHOST:$PGPORT"
fi
export SPRING_R2DBC_URL=${SPRING_R2DBC_URL:-r2dbc:postgresql://$PGHOST:$PGPORT/triggers}
export SPRING_R2DBC_USERNAME=${SPRING_R2DBC_USERNAME:-$PGUSER}
export SPRING_FLYWAY_URL=${SPRING_FLYWAY_URL:-jdbc:postgresql://$PGHOST:$PGPORT/triggers}
export SPRING_FLYWAY_USER=${SPRING_FLYWAY_USER:-$PGUSER}
if $embed_redis; then
  export SPRING_DATA_REDIS_URL=redis://127.0.0.1:$EMBEDDED_REDIS_PORT
fi

# 3. An admin token for operator calls (the api keeps operator routes closed with a shorter one),
#    and the key that encrypts signing secrets at rest: made once and kept beside the database's
#    data, since a new key every run could not read the secrets stored under the last one.
if [ -z "${TRIGGERS_ADMIN_TOKEN:-}" ]; then
  TRIGGERS_ADMIN_TOKEN=adm_$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
fi
[ ${#TRIGGERS_ADMIN_TOKEN} -ge 32 ] || fail "TRIGGERS_ADMIN_TOKEN must be at least 32 characters"
export TRIGGERS_ADMIN_TOKEN
if [ -z "${TRIGGERS_ENCRYPTION_KEYS:-}" ]; then
  if [ ! -s "$STATE/encryption-keys" ]; then
    (umask 077 && printf 'k1:%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$STATE/encryption-keys")
    say "Made an encryption key for signing secrets at rest: $STATE/encryption-keys (keep it with the database)"
  fi
  TRIGGERS_ENCRYPTION_KEYS=$(cat "$STATE/encryption-keys")
fi
export TRIGGERS_ENCRYPTION_KEYS
# The demo receiver is on loopback, which production refuses as a target.
export TRIGGERS_DELIVERY_ALLOW_PRIVATE_TARGETS=${TRIGGERS_DELIVERY_ALLOW_PRIVATE_TARGETS:-true}

wait_for() { # url seconds name log
  for _ in $(seq 1 $(($2 * 4))); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.25
  done
  tail -n 40 "$4" >&2
  fail "$3 did not come up within $2 s (log: $4)"
}

# 4. Start the apps, api first: it migrates the schema.
SERVER_PORT=$API_PORT MANAGEMENT_SERVER_PORT=$API_MANAGEMENT_PORT java -jar "$API_JAR" > "$STATE/api.log" 2>&1 &
pids+=($!)
wait_for "http://localhost:$API_PORT/v1/health" 90 api "$STATE/api.log"
SERVER_PORT=$WORKER_PORT java -jar "$WORKER_JAR" > "$STATE/worker.log" 2>&1 &
pids+=($!)
wait_for "http://localhost:$WORKER_PORT/actuator/health" 90 worker "$STATE/worker.log"
java scripts/DemoReceiver.java "$DEMO_PORT" "$STATE/demo-secret" &
pids+=($!)

# 5. A demo organization and an endpoint that delivers to the demo receiver: the ones an earlier run
#    made (kept in $STATE/demo, with the key) when the database still has them, else new ones.
API=http://localhost:$API_PORT
DEMO_URL=http://127.0.0.1:$DEMO_PORT/webhooks
API_KEY= ORG_ID=
# shellcheck disable=SC1091
[ -s "$STATE/demo" ] && . "$STATE/demo"
if [ -n "$API_KEY" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/v1/me" -H "Authorization: Bearer $API_KEY")" = 200 ]; then
  say "Found the demo organization of an earlier run ($ORG_ID)"
else
  org=$(curl -sf -X POST "$API/v1/organizations" -H "Authorization: Bearer $TRIGGERS_ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"name\":\"demo-$(date +%s)\",\"tier\":\"enterprise\"}") || fail "could not create the demo organization"
  API_KEY=$(printf '%s' "$org" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
  ORG_ID=$(printf '%s' "$org" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
fi
if [ ! -s "$STATE/demo-secret" ] || ! curl -sf "$API/v1/endpoints" -H "Authorization: Bearer $API_KEY" | grep -qF "\"url\":\"$DEMO_URL\""; then
  endpoint=$(curl -sf -X POST "$API/v1/endpoints" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    -d "{\"url\":\"$DEMO_URL\",\"description\":\"run.sh demo receiver\"}") || fail "could not create the demo endpoint"
  printf '%s' "$endpoint" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' > "$STATE/demo-secret"
fi
(umask 077 && printf 'API_KEY=%q\nORG_ID=%q\n' "$API_KEY" "$ORG_ID" > "$STATE/demo")

# 6. One event through the whole path before saying it runs (this also warms both apps up, so the
#    first event you send is as quick as the rest).
started=$(curl -sf -X POST "$API/v1/events" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d '{"event_type":"demo.started","source":"run.sh","payload":{"hello":"world"}}') || fail "could not send the first event"
first_event=$(printf '%s' "$started" | sed -n 's/^{"event_id":"\([^"]*\)".*/\1/p')
for _ in $(seq 1 120); do
  curl -sf "$API/v1/events/$first_event" -H "Authorization: Bearer $API_KEY" | grep -q '"status":"delivered"' && break
  sleep 0.25
done
curl -sf "$API/v1/events/$first_event" -H "Authorization: Bearer $API_KEY" | grep -q '"status":"delivered"' \
  || fail "the first event was not delivered within 30 s (logs: $STATE/api.log, $STATE/worker.log)"

cat <<MSG

$(say "Triggers is running.")
  api          $API   (health: $API/v1/health; actuator: http://localhost:$API_MANAGEMENT_PORT/actuator/health)
  worker       http://localhost:$WORKER_PORT/actuator/health
  admin token  $TRIGGERS_ADMIN_TOKEN
  API key      $API_KEY   (organization $ORG_ID)
  logs         $STATE/api.log, $STATE/worker.log

Send an event; the demo receiver below prints the signed webhook:

  curl -sS -X POST $API/v1/events -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d '{"event_type":"order.created","source":"shop","payload":{"order_id":42}}'

Ctrl-C stops api, worker and receiver$([ -n "$servers_pid" ] && printf ', and the embedded servers (their data stays in %s)' "$STATE/embedded").
MSG
wait
