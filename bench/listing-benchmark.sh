#!/usr/bin/env bash
# Listing and stats benchmark: fills a scratch database with EVENTS events (default 1 000 000, 80 % of
# them for the organization measured, each with a delivery to one endpoint and 2 % also to a second),
# about as many delivery attempts, starts the api on it and a worker that rolls the attempts up per
# minute (timed, with its CPU), then times REQUESTS calls of each route over HTTP — the inbox, the
# event log, an endpoint's attempts, the stats calls — of several kinds, prints percentiles per kind
# and the generic query plans of the event log, and writes bench/results/listing-*.json.
#
#   bench/listing-benchmark.sh                 # 1M events, 400 timed requests per route
#   EVENTS=200000 REQUESTS=100 bench/listing-benchmark.sh
#
# Needs what run.sh needs (java, curl, psql, PostgreSQL and Redis on this machine). The scratch
# database triggers_bench_listing is dropped at the end unless KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
REQUESTS=${REQUESTS:-400}
PORT=${PORT:-18095}
WORKER_PORT=${WORKER_PORT:-18096}
PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
DB=triggers_bench_listing
PSQL=(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -v ON_ERROR_STOP=1 -qAt)
WORK=$(mktemp -d)
mkdir -p bench/results

if ! ls api/target/triggers-api-*-exec.jar worker/target/triggers-worker-*-exec.jar >/dev/null 2>&1; then
  ./mvnw -B -q -DskipTests package
fi
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)
WORKER_JAR=$(ls worker/target/triggers-worker-*-exec.jar | head -1)

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
TOKEN=bench_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export TRIGGERS_REDIS_KEY_PREFIX=bench-listing-$$ TRIGGERS_ENCRYPTION_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
  SPRING_R2DBC_URL=r2dbc:postgresql://$PGHOST:$PGPORT/$DB SPRING_R2DBC_USERNAME=$PGUSER \
  TRIGGERS_DELIVERY_ALLOW_PRIVATE_TARGETS=true TRIGGERS_RATE_LIMIT_CALLS_PER_MINUTE=0
SERVER_PORT=$PORT TRIGGERS_ADMIN_TOKEN=$TOKEN \
  SPRING_FLYWAY_URL=jdbc:postgresql://$PGHOST:$PGPORT/$DB SPRING_FLYWAY_USER=$PGUSER \
  java -jar "$API_JAR" > "$WORK/api.log" 2>&1 &
API_PID=$!
WORKER_PID=
cleanup() {
  kill "$API_PID" $WORKER_PID 2>/dev/null || true
  wait "$API_PID" $WORKER_PID 2>/dev/null || true
  [ "${KEEP_DB:-0}" = 1 ] || "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 240); do curl -sf -o /dev/null "http://localhost:$PORT/v1/health" && break; kill -0 "$API_PID" 2>/dev/null || { echo "the api did not start:" >&2; tail -20 "$WORK/api.log" >&2; exit 1; }; sleep 0.25; done
API=http://localhost:$PORT

org() { curl -sf -X POST "$API/v1/organizations" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"rate_limit_per_minute\":0}"; }
MAIN=$(org measured); OTHER=$(org noise)
KEY=$(printf '%s' "$MAIN" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
MAIN_ID=$(printf '%s' "$MAIN" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
OTHER_ID=$(printf '%s' "$OTHER" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
endpoint() { curl -sf -X POST "$API/v1/endpoints" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "{\"url\":\"http://127.0.0.1:9/$1\"}" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p'; }
COMMON=$(endpoint common); RARE=$(endpoint rare)

echo "generating $EVENTS events, their deliveries and attempts…"
started=$(date +%s)
# In transactions of 1 000 events, each its own statement, as the api stores them (by group
# commit), so commit order (xact_id) is spread over many transactions. Ids are time-ordered
# (UUIDv7, as the services make them): the stats roll-up reads new rows by id.
CHUNK=1000
{
  for ((from = 1; from <= EVENTS; from += CHUNK)); do
    to=$((from + CHUNK - 1)); [ "$to" -le "$EVENTS" ] || to=$EVENTS
    cat <<SQL
WITH generated AS (
    SELECT i, now() - interval '6 days' + (i * (interval '6 days' / $EVENTS)) AS at,
           CASE WHEN i % 100 < 70 THEN 'delivered' WHEN i % 100 < 90 THEN 'pending' WHEN i % 100 < 97 THEN 'failed' ELSE 'dead' END AS status
    FROM generate_series($from, $to) AS i
), event AS (
    INSERT INTO events (id, organization_id, event_type, source, payload, metadata, status, created_at, updated_at, delivered_at)
    SELECT (left(uuid_v7_floor(at)::text, 24) || lpad(to_hex(i), 12, '0'))::uuid,
           CASE WHEN i % 5 = 0 THEN '$OTHER_ID'::uuid ELSE '$MAIN_ID'::uuid END,
           'type.' || (i % 20), 'source-' || (i % 5),
           jsonb_build_object('i', i, 'note', 'benchmark event'), '{"priority": "normal"}'::jsonb,
           status, at, at, CASE WHEN status = 'delivered' THEN at END
    FROM generated
    RETURNING id, organization_id, status, created_at, (payload->>'i')::int AS i
), delivery AS (
    INSERT INTO deliveries (event_id, endpoint_id, organization_id, status, attempts, created_at, updated_at)
    SELECT id, endpoint, organization_id, status, CASE WHEN status = 'pending' THEN 0 ELSE 1 END, created_at, created_at
    FROM event, LATERAL (VALUES ('$COMMON'::uuid), (CASE WHEN i % 50 = 1 THEN '$RARE'::uuid END)) AS e(endpoint)
    WHERE organization_id = '$MAIN_ID' AND endpoint IS NOT NULL
    RETURNING event_id, endpoint_id, organization_id, status, created_at
)
INSERT INTO delivery_attempts (id, event_id, endpoint_id, organization_id, attempt, status_code, duration_ms, attempted_at)
SELECT (left(uuid_v7_floor(delivery.created_at + a.n * interval '1 second')::text, 24)
        || CASE WHEN endpoint_id = '$COMMON' THEN '0' ELSE '1' END || a.n || right(event_id::text, 10))::uuid,
       event_id, endpoint_id, delivery.organization_id, a.n,
       CASE WHEN delivery.status = 'delivered' AND a.n = a.of THEN 200 ELSE 500 END,
       5 + (abs(hashtext(event_id::text || a.n)) % 200),
       delivery.created_at + a.n * interval '1 second'
FROM delivery JOIN event ON event.id = delivery.event_id,
     LATERAL (SELECT n, of FROM (SELECT CASE WHEN delivery.status IN ('failed', 'dead') THEN 3 WHEN event.i % 2 = 0 THEN 2 ELSE 1 END AS of) o,
                     generate_series(1, o.of) AS n) AS a
WHERE delivery.status <> 'pending';
SQL
  done
  echo "VACUUM ANALYZE events; VACUUM ANALYZE deliveries; VACUUM ANALYZE delivery_attempts;"
} | "${PSQL[@]}" -d "$DB"
echo "generated in $(( $(date +%s) - started )) s: $("${PSQL[@]}" -d "$DB" -c "SELECT (SELECT count(*) FROM events) || ' events, ' || (SELECT count(*) FROM deliveries) || ' deliveries, ' || (SELECT count(*) FROM delivery_attempts) || ' attempts'")"
MIDDLE=$("${PSQL[@]}" -d "$DB" -c "SELECT to_char((now() - interval '3 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
DAY_AGO=$("${PSQL[@]}" -d "$DB" -c "SELECT to_char((now() - interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
WEEK_AGO=$("${PSQL[@]}" -d "$DB" -c "SELECT to_char((now() - interval '7 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")

# The roll-up starts at the oldest event (set when the schema was made, before these were generated).
"${PSQL[@]}" -d "$DB" -c "UPDATE rollup_progress SET done_until = date_trunc('minute', (SELECT min(created_at) FROM events))"
echo "rolling up the attempts and events (a worker, the reconciler idle)…"
pg_cpu() { local sum=0; for pid in $(pgrep -x postgres); do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo $((sum * 10)); }
pg_before=$(pg_cpu)
rolled_from=$(date +%s%N)
SERVER_PORT=$WORKER_PORT TRIGGERS_RECONCILER_EVERY=24h TRIGGERS_STATS_ROLLUP_EVERY=1s TRIGGERS_STATS_ROLLUP_LAG=0s \
  TRIGGERS_CLEANUP_EVERY=24h java -jar "$WORKER_JAR" > "$WORK/worker.log" 2>&1 &
WORKER_PID=$!
until [ "$("${PSQL[@]}" -d "$DB" -c "SELECT done_until > now() - interval '1 minute' FROM rollup_progress")" = t ]; do
  kill -0 "$WORKER_PID" 2>/dev/null || { echo "the worker stopped:" >&2; tail -20 "$WORK/worker.log" >&2; exit 1; }
  sleep 1
done
rollup_ms=$(( ($(date +%s%N) - rolled_from) / 1000000 ))
worker_cpu_ms=$(awk '{print ($14 + $15) * 10}' "/proc/$WORKER_PID/stat")
pg_cpu_ms=$(( $(pg_cpu) - pg_before ))
echo "rolled up in $rollup_ms ms (worker start-up included); worker CPU $worker_cpu_ms ms (start-up included), PostgreSQL CPU $pg_cpu_ms ms; $("${PSQL[@]}" -d "$DB" -c "SELECT count(*) || ' minute rows, ' || (SELECT count(*) FROM activity_latency) || ' latency rows' FROM activity_minutes")"

# route|kind|query — "deep" kinds follow next_cursor for 5 pages and time each page.
KINDS=(
  "inbox|first-page|limit=50"
  "inbox|newest-first|order=desc&limit=50"
  "inbox|status-dead|status=dead&limit=50"
  "inbox|event-type|event_type=type.7&limit=50"
  "inbox|window|created_after=$MIDDLE&limit=100"
  "inbox|deep-pages|created_after=$MIDDLE&limit=100"
  "events|first-page|limit=50"
  "events|first-page-500|limit=500"
  "events|ascending|order=asc&limit=50"
  "events|status-delivered|status=delivered&limit=50"
  "events|status-dead|status=dead&limit=50"
  "events|event-type|event_type=type.7&limit=50"
  "events|source|source=source-3&limit=50"
  "events|endpoint-common|endpoint_id=$COMMON&limit=50"
  "events|endpoint-rare|endpoint_id=$RARE&limit=50"
  "events|older-than-3-days|created_before=$MIDDLE&limit=50"
  "events|deep-pages|limit=100"
  "attempts|first-page|limit=50"
  "attempts|failed|status=failed&limit=50"
  "attempts|deep-pages|limit=100"
  "endpoint-stats|day|since=$DAY_AGO"
  "endpoint-stats|week|since=$WEEK_AGO"
  "stats|day-by-minute|since=$DAY_AGO&interval=minute"
  "stats|week-by-hour|since=$WEEK_AGO&interval=hour"
)
path_of() {
  case "$1" in
    inbox) echo /v1/inbox ;; events) echo /v1/events ;; attempts) echo "/v1/endpoints/$COMMON/attempts" ;;
    endpoint-stats) echo "/v1/endpoints/$COMMON/stats" ;; stats) echo /v1/stats ;;
  esac
}
: > "$WORK/times"
for entry in "${KINDS[@]}"; do
  # Warm up each kind (and let PostgreSQL settle on its generic plans, after five runs) before timing.
  IFS='|' read -r route kind query <<< "$entry"
  for _ in 1 2 3 4 5 6 7; do curl -s -o /dev/null -H "Authorization: Bearer $KEY" "$API$(path_of "$route")?$query"; done
done
per_kind=$(( REQUESTS * 5 / ${#KINDS[@]} + 1 ))
for ((round = 0; round < per_kind; round++)); do
  for entry in "${KINDS[@]}"; do
    IFS='|' read -r route kind query <<< "$entry"
    pages=1; [ "$kind" = deep-pages ] && pages=5
    cursor=""
    for _ in $(seq 1 $pages); do
      url="$API$(path_of "$route")?$query${cursor:+&cursor=$cursor}"
      t=$(curl -s -o "$WORK/body" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $KEY" "$url")
      [ "${t%% *}" = 200 ] || { echo "$route answered ${t%% *}: $(head -c 300 "$WORK/body")" >&2; exit 1; }
      echo "$route/$kind ${t#* }" >> "$WORK/times"
      cursor=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' "$WORK/body")
      [ -n "$cursor" ] || break
    done
  done
done

stats() { sort -n | awk '{ v[NR] = $1 * 1000 } END { printf "%6d %8.1f %8.1f %8.1f %8.1f\n", NR, v[int(NR*0.5 + 0.5)], v[int(NR*0.95 + 0.5)], v[int(NR*0.99 + 0.5)], v[NR] }'; }
printf '\n%-30s %6s %8s %8s %8s %8s   (ms, over HTTP)\n' kind count p50 p95 p99 max
json_kinds=""
for kind in $(awk '{print $1}' "$WORK/times" | sort -u); do
  read -r n p50 p95 p99 max < <(awk -v k="$kind" '$1 == k {print $2}' "$WORK/times" | stats)
  printf '%-30s %6d %8.1f %8.1f %8.1f %8.1f\n' "$kind" "$n" "$p50" "$p95" "$p99" "$max"
  json_kinds="$json_kinds${json_kinds:+, }\"$kind\": {\"count\": $n, \"p50_ms\": $p50, \"p95_ms\": $p95, \"p99_ms\": $p99, \"max_ms\": $max}"
done
for route in inbox events attempts endpoint-stats stats; do
  printf '%-30s ' "$route (all)"; awk -v r="$route" 'index($1, r "/") == 1 {print $2}' "$WORK/times" | stats
done

# The stats statements, on the roll-up's rows and the open deliveries' index.
echo; echo "plan of an endpoint's stats, a week (its three statements):"
"${PSQL[@]}" -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT sum(succeeded), sum(failed) FROM activity_minutes WHERE organization_id = '$MAIN_ID' AND endpoint_id = '$COMMON' AND minute >= '$WEEK_AGO' AND minute < now()" | grep -E "Scan|Execution|Buffers" | head -4
"${PSQL[@]}" -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT bucket, sum(attempts) FROM activity_latency WHERE organization_id = '$MAIN_ID' AND endpoint_id = '$COMMON' AND hour >= date_trunc('hour', '$WEEK_AGO'::timestamptz, 'UTC') AND hour < now() GROUP BY bucket" | grep -E "Scan|Execution|Buffers" | head -4
"${PSQL[@]}" -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT status, count(*) FROM deliveries WHERE endpoint_id = '$COMMON' AND status IN ('pending', 'failed', 'dead', 'paused') AND created_at >= '$WEEK_AGO' AND created_at < now() GROUP BY status" | grep -E "Scan|Execution|Buffers" | head -4

# The event log's statements as the api sends them, planned generically (as PostgreSQL plans a
# prepared statement after five runs).
plan() {
  echo; echo "plan of the event log, $1 (generic):"
  "${PSQL[@]}" -d "$DB" <<SQL
SET plan_cache_mode = force_generic_plan;
PREPARE q AS $2;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) EXECUTE q$3;
SQL
}
LOG_COLUMNS="SELECT id, event_type, source, payload, metadata, status, created_at, acknowledged_at, delivered_at, xact_id::text AS position_xact FROM events e"
plan "newest first" "$LOG_COLUMNS WHERE organization_id = \$1 ORDER BY xact_id DESC, created_at DESC, id DESC LIMIT 51" "('$MAIN_ID')"
DEEP=$("${PSQL[@]}" -d "$DB" -c "SELECT xact_id::text || ',' || created_at || ',' || id FROM events WHERE organization_id = '$MAIN_ID' ORDER BY xact_id DESC, created_at DESC, id DESC OFFSET 400000 LIMIT 1")
IFS=, read -r DEEP_XACT DEEP_AT DEEP_ID <<< "$DEEP"
plan "a page 400 000 events deep, newest first" "$LOG_COLUMNS WHERE organization_id = \$1 AND (xact_id, created_at, id) < (\$2::text::xid8, \$3::timestamptz, \$4::uuid) ORDER BY xact_id DESC, created_at DESC, id DESC LIMIT 51" \
  "('$MAIN_ID', '$DEEP_XACT', '$DEEP_AT', '$DEEP_ID')"
plan "event type" "$LOG_COLUMNS WHERE organization_id = \$1 AND event_type = \$2 ORDER BY xact_id DESC, created_at DESC, id DESC LIMIT 51" "('$MAIN_ID', 'type.7')"
plan "status delivered" "$LOG_COLUMNS WHERE organization_id = \$1 AND status = 'delivered' ORDER BY xact_id DESC, created_at DESC, id DESC LIMIT 51" "('$MAIN_ID')"
plan "status dead" "$LOG_COLUMNS WHERE organization_id = \$1 AND status = 'dead' ORDER BY xact_id DESC, created_at DESC, id DESC LIMIT 51" "('$MAIN_ID')"
plan "the rare endpoint" "$LOG_COLUMNS WHERE organization_id = \$1 AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.endpoint_id = \$2) ORDER BY xact_id DESC, created_at DESC, id DESC LIMIT 51" "('$MAIN_ID', '$RARE')"

out=bench/results/listing-$(date -u +%Y%m%dT%H%M%SZ).json
cat > "$out" <<JSON
{"benchmark": "listing", "events": $EVENTS, "rows": "$("${PSQL[@]}" -d "$DB" -c "SELECT (SELECT count(*) FROM deliveries) || ' deliveries, ' || (SELECT count(*) FROM delivery_attempts) || ' attempts'")",
 "rollup": {"elapsed_ms": $rollup_ms, "worker_cpu_ms": $worker_cpu_ms, "postgres_cpu_ms": $pg_cpu_ms},
 "kinds": {$json_kinds},
 "machine": {"cores": $(nproc), "postgres": "$("${PSQL[@]}" -d postgres -c 'SHOW server_version')"}}
JSON
echo; echo "results: $out"
