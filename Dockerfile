# One build, one image target per app:
#   docker build --target api -t triggers-api .
#   docker build --target worker -t triggers-worker .
# Images run as a non-root user, from layered jars (dependencies change less often than our code,
# so a rebuild after a code change ships one small layer), with a health check on readiness.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY shared/ shared/
COPY testing/ testing/
COPY api/ api/
COPY worker/ worker/
COPY e2e/ e2e/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -DskipTests -pl api,worker -am package \
 && java -Djarmode=tools -jar api/target/triggers-api-*-exec.jar extract --layers --launcher --destination /out/api \
 && java -Djarmode=tools -jar worker/target/triggers-worker-*-exec.jar extract --layers --launcher --destination /out/worker

FROM eclipse-temurin:17-jre AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app triggers
WORKDIR /app
USER 10001
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75" \
    LOG_FORMAT=json
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]

FROM runtime AS api
COPY --from=build /out/api/dependencies/ ./
COPY --from=build /out/api/spring-boot-loader/ ./
COPY --from=build /out/api/snapshot-dependencies/ ./
COPY --from=build /out/api/application/ ./
# 8080: the public API; 8090: actuator (health, prometheus), for the orchestrator and Prometheus only.
EXPOSE 8080 8090
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:${MANAGEMENT_SERVER_PORT:-8090}/actuator/health/readiness || exit 1

FROM runtime AS worker
COPY --from=build /out/worker/dependencies/ ./
COPY --from=build /out/worker/spring-boot-loader/ ./
COPY --from=build /out/worker/snapshot-dependencies/ ./
COPY --from=build /out/worker/application/ ./
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:${SERVER_PORT:-8081}/actuator/health/readiness || exit 1
