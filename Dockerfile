# One build, one image target per app:
#   docker build --target api -t triggers-api .
#   docker build --target worker -t triggers-worker .
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
 && mkdir /out \
 && cp api/target/triggers-api-*-exec.jar /out/api.jar \
 && cp worker/target/triggers-worker-*-exec.jar /out/worker.jar

FROM eclipse-temurin:17-jre AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app triggers
WORKDIR /app
USER 10001
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"

FROM runtime AS api
COPY --from=build /out/api.jar /app/app.jar
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:8080/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/app/app.jar"]

FROM runtime AS worker
COPY --from=build /out/worker.jar /app/app.jar
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:8081/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
