#!/usr/bin/env bash
# Inbox benchmark: fills a scratch database with EVENTS events (default 1 000 000, 80 % of them for
# the organization measured), starts the api on it, times REQUESTS calls of GET /v1/inbox of several
# kinds through HTTP, prints percentiles per kind and the query plans, writes bench/results/inbox-*.json.
#
#   bench/inbox-benchmark.sh                 # 1M events, 400 timed requests
#   EVENTS=200000 REQUESTS=100 bench/inbox-benchmark.sh
#
# Needs what run.sh needs (java, curl, psql, PostgreSQL and Redis on this machine). The scratch
# database triggers_bench_inbox is dropped at the end unless KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
REQUESTS=${REQUESTS:-400}
PORT=${PORT:-18095}
PGHOST=${PGHOST:-localhost}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
DB=triggers_bench_inbox
PSQL=(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -w -v ON_ERROR_STOP=1 -qAt)
WORK=$(mktemp -d)
mkdir -p bench/results

if ! ls api/target/triggers-api-*-exec.jar >/dev/null 2>&1; then
  ./mvnw -B -q -DskipTests package
fi
API_JAR=$(ls api/target/triggers-api-*-exec.jar | head -1)

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
TOKEN=bench_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
SERVER_PORT=$PORT TRIGGERS_ADMIN_TOKEN=$TOKEN TRIGGERS_REDIS_KEY_PREFIX=bench-inbox \
  TRIGGERS_ENCRYPTION_KEYS="k1:$(head -c 32 /dev/urandom | base64)" \
  SPRING_R2DBC_URL=r2dbc:postgresql://$PGHOST:$PGPORT/$DB SPRING_R2DBC_USERNAME=$PGUSER \
  SPRING_FLYWAY_URL=jdbc:postgresql://$PGHOST:$PGPORT/$DB SPRING_FLYWAY_USER=$PGUSER \
  java -jar "$API_JAR" > "$WORK/api.log" 2>&1 &
API_PID=$!
cleanup() {
  kill "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
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

echo "generating $EVENTS events…"
started=$(date +%s)
# In transactions of 1 000 events, each its own statement, as the api stores them (by group
# commit), so the inbox's commit order (xact_id) is spread over many transactions.
CHUNK=1000
{
  for ((from = 1; from <= EVENTS; from += CHUNK)); do
    to=$((from + CHUNK - 1)); [ "$to" -le "$EVENTS" ] || to=$EVENTS
    cat <<SQL
INSERT INTO events (id, organization_id, event_type, source, payload, metadata, status, created_at, updated_at)
SELECT gen_random_uuid(),
       CASE WHEN i % 5 = 0 THEN '$OTHER_ID'::uuid ELSE '$MAIN_ID'::uuid END,
       'type.' || (i % 20), 'source-' || (i % 5),
       jsonb_build_object('i', i, 'note', 'benchmark event'), '{"priority": "normal"}'::jsonb,
       CASE WHEN i % 100 < 70 THEN 'delivered' WHEN i % 100 < 90 THEN 'pending' WHEN i % 100 < 97 THEN 'failed' ELSE 'dead' END,
       now() - interval '6 days' + (i * (interval '6 days' / $EVENTS)),
       now()
FROM generate_series($from, $to) AS i;
SQL
  done
  echo "VACUUM ANALYZE events;"
} | "${PSQL[@]}" -d "$DB"
echo "generated in $(( $(date +%s) - started )) s"
MIDDLE=$("${PSQL[@]}" -d "$DB" -c "SELECT to_char((now() - interval '3 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")

# kind|query — "deep" kinds follow next_cursor for 5 pages and time each page.
KINDS=(
  "first-page|limit=50"
  "first-page-500|limit=500"
  "newest-first|order=desc&limit=50"
  "status-dead|status=dead&limit=50"
  "event-type|event_type=type.7&limit=50"
  "source|source=source-3&limit=50"
  "window|created_after=$MIDDLE&limit=100"
  "deep-pages|created_after=$MIDDLE&limit=100"
)
: > "$WORK/times"
n=0
while [ "$n" -lt "$REQUESTS" ]; do
  for entry in "${KINDS[@]}"; do
    kind=${entry%%|*}; query=${entry#*|}
    pages=1; [ "$kind" = deep-pages ] && pages=5
    cursor=""
    for _ in $(seq 1 $pages); do
      url="$API/v1/inbox?$query${cursor:+&cursor=$cursor}"
      t=$(curl -s -o "$WORK/body" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $KEY" "$url")
      [ "${t%% *}" = 200 ] || { echo "inbox answered ${t%% *}: $(head -c 300 "$WORK/body")" >&2; exit 1; }
      echo "$kind ${t#* }" >> "$WORK/times"
      n=$((n + 1))
      cursor=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' "$WORK/body")
      [ -n "$cursor" ] || break
    done
    [ "$n" -lt "$REQUESTS" ] || break
  done
done

stats() { sort -n | awk '{ v[NR] = $1 * 1000 } END { printf "%6d %8.1f %8.1f %8.1f %8.1f\n", NR, v[int(NR*0.5 + 0.5)], v[int(NR*0.95 + 0.5)], v[int(NR*0.99 + 0.5)], v[NR] }'; }
printf '\n%-16s %6s %8s %8s %8s %8s   (ms, GET /v1/inbox over HTTP)\n' kind count p50 p95 p99 max
for kind in $(awk '{print $1}' "$WORK/times" | sort -u); do
  printf '%-16s ' "$kind"; awk -v k="$kind" '$1 == k {print $2}' "$WORK/times" | stats
done
printf '%-16s ' all; awk '{print $2}' "$WORK/times" | stats
read -r total p50 p95 p99 max < <(awk '{print $2}' "$WORK/times" | stats)

echo; echo "plan of the first-page query:"
"${PSQL[@]}" -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, event_type, source, payload, metadata, status, created_at, acknowledged_at, delivered_at FROM events WHERE organization_id = '$MAIN_ID' AND status IN ('pending','failed','dead') AND xact_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xact_id, created_at, id LIMIT 51"
echo; echo "plan of a window (created_after, the middle of the six days):"
"${PSQL[@]}" -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM events WHERE organization_id = '$MAIN_ID' AND status IN ('pending','failed','dead') AND created_at > '$MIDDLE' AND xact_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xact_id, created_at, id LIMIT 101"
echo; echo "plan with an event_type filter:"
"${PSQL[@]}" -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, event_type, source, payload, metadata, status, created_at, acknowledged_at, delivered_at FROM events WHERE organization_id = '$MAIN_ID' AND status IN ('pending','failed','dead') AND event_type = 'type.7' AND xact_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xact_id, created_at, id LIMIT 51"

out=bench/results/inbox-$(date -u +%Y%m%dT%H%M%SZ).json
cat > "$out" <<JSON
{"benchmark": "inbox", "events": $EVENTS, "requests": $total, "p50_ms": $p50, "p95_ms": $p95, "p99_ms": $p99, "max_ms": $max,
 "machine": {"cores": $(nproc), "postgres": "$("${PSQL[@]}" -d postgres -c 'SHOW server_version')"}}
JSON
echo; echo "results: $out"
