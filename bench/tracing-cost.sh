#!/usr/bin/env bash
# The tracing code's own CPU per event (bench/TracingCost.java), per sampling probability, without a
# traceparent and with a producer's sampled one, spans exported to bench/OtlpSink.java. Quiet and
# repeatable where the throughput benchmark's per-process figures move by tens of percent.
#   bench/tracing-cost.sh   (PROBABILITIES="0 0.01 1.0", OTLP_PORT=14319)
set -euo pipefail
cd "$(dirname "$0")/.."
OTLP_PORT=${OTLP_PORT:-14319}
./mvnw -B -q -pl shared -am install -DskipTests
./mvnw -B -q -pl shared dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$PWD/.triggers/tracing-cost.classpath" >/dev/null
CLASSPATH=shared/target/classes:$(cat .triggers/tracing-cost.classpath)
mkdir -p .triggers
java bench/OtlpSink.java "$OTLP_PORT" > .triggers/otlp-sink-cost.log 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
sleep 2
for probability in ${PROBABILITIES:-0 0.01 1.0}; do
  java -cp "$CLASSPATH" bench/TracingCost.java "$probability" "http://127.0.0.1:$OTLP_PORT/v1/traces"
done
java -cp "$CLASSPATH" bench/TracingCost.java 0 "http://127.0.0.1:$OTLP_PORT/v1/traces" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00
java -cp "$CLASSPATH" bench/TracingCost.java 0 "http://127.0.0.1:$OTLP_PORT/v1/traces" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
