#!/usr/bin/env bash
# Builds the jars run.sh and scripts/chaos.sh start (api, worker, embedded servers; tests skipped)
# when any is missing or a source or pom is newer than the oldest of them.
set -euo pipefail
cd "$(dirname "$0")/.."
outputs() {
  jars=(api/target/triggers-api-*-exec.jar worker/target/triggers-worker-*-exec.jar embedded/target/triggers-embedded-*.jar
    embedded/target/launcher.classpath)
}
outputs
oldest=
for jar in "${jars[@]}"; do
  if [ ! -f "$jar" ]; then oldest=; break; fi
  if [ -z "$oldest" ] || [ "$jar" -ot "$oldest" ]; then oldest=$jar; fi
done
if [ -z "$oldest" ] || [ -n "$(find pom.xml ./*/pom.xml ./*/src/main -newer "$oldest" -type f -print -quit)" ]; then
  printf '\033[1m%s\033[0m\n' "Building (./mvnw package, tests skipped; run ./mvnw -B verify for the tests)…"
  ./mvnw -B -q -DskipTests package
  # The jar plugin leaves a jar whose classes did not change as it was; mark them all as built now.
  outputs
  touch -c "${jars[@]}"
fi
