#!/usr/bin/env bash
# Builds the api and worker jars (tests skipped) when they are missing or any source is newer than
# the last build. Used by run.sh and scripts/chaos.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .triggers
stamp=.triggers/build.stamp
if [ ! -f "$stamp" ] || ! ls api/target/triggers-api-*-exec.jar worker/target/triggers-worker-*-exec.jar >/dev/null 2>&1 \
    || [ -n "$(find pom.xml ./*/pom.xml ./*/src/main -newer "$stamp" -type f -print -quit)" ]; then
  printf '\033[1m%s\033[0m\n' "Building (./mvnw package, tests skipped; run ./mvnw -B verify for the tests)…"
  ./mvnw -B -q -DskipTests package
  touch "$stamp"
fi
