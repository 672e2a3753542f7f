#!/usr/bin/env bash
# What tracing costs (issue 22): the throughput benchmark's ingest and delivery phases
# once per sampling probability, the apps exporting their spans over OTLP to a stand-in collector
# (bench/OtlpSink.java, which discards them). Compare CPU per event per process between the runs
# (bench/results/throughput-*.json, one per probability; the summary at the end).
#
#   bench/tracing-benchmark.sh   (PROBABILITIES="0 0.01 1.0", PHASES=floor,single,delivery, WARMUP_MIN=60,
#                                 OTLP_PORT=14318; every throughput.sh setting applies)
set -euo pipefail
cd "$(dirname "$0")/.."

OTLP_PORT=${OTLP_PORT:-14318}
java bench/OtlpSink.java "$OTLP_PORT" > .triggers/otlp-sink.log 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q listening .triggers/otlp-sink.log 2>/dev/null && break
  sleep 0.1
done

results=()
for probability in ${PROBABILITIES:-0 0.01 1.0}; do
  settings="--management.opentelemetry.tracing.export.otlp.endpoint=http://127.0.0.1:$OTLP_PORT/v1/traces --management.tracing.sampling.probability=$probability"
  echo "== sampling probability $probability"
  before=$(ls bench/results/throughput-*.json 2>/dev/null | wc -l)
  PHASES=${PHASES:-floor,single,delivery} WARMUP_MIN=${WARMUP_MIN:-60} \
    API_ARGS="${API_ARGS:-} $settings" WORKER_ARGS="${WORKER_ARGS:-} $settings" bench/throughput.sh
  latest=$(ls -t bench/results/throughput-*.json | head -1)
  [ "$(ls bench/results/throughput-*.json | wc -l)" -gt "$before" ] && results+=("$probability=$latest")
done

echo "== CPU µs per event per process"
python3 - "${results[@]}" <<'PY'
import json, sys
for arg in sys.argv[1:]:
    probability, path = arg.split('=', 1)
    run = json.load(open(path))
    for phase in ('single_ingestion', 'delivery', 'end_to_end'):
        figures = run.get(phase)
        if not figures:
            continue
        cpu = figures.get('cpu_us_per_request') or figures.get('cpu_us_per_webhook') or figures.get('cpu_us_per_event') or {}
        rate = figures.get('events_per_second') or figures.get('webhooks_per_second')
        print(f"p={probability:<5} {phase:<17} rate={rate}  " + "  ".join(f"{k}={v}" for k, v in cpu.items() if k in ('api', 'worker', 'postgres', 'redis', 'other')) + f"  ({path})")
PY
