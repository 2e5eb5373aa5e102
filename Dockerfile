# One image for both programs: `conntrail producer` (needs the host's kernel, see docker-compose.yml)
# and `conntrail topology`. Build: docker build -t conntrail .
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B --no-transfer-progress -DskipTests package

FROM eclipse-temurin:17-jre
# libbpf for the eBPF tracer (the BPF object itself is inside the jar); iproute2 for ss in debugging
RUN apt-get update && apt-get install -y --no-install-recommends libbpf1 iproute2 conntrack \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/app/target/conntrail.jar /opt/conntrail/conntrail.jar
# the agent's JVM options, read with java @/opt/conntrail/agent-jvm-opts (deploy/ specs, docker-compose.yml)
COPY deploy/agent-jvm-opts /opt/conntrail/agent-jvm-opts
ENTRYPOINT ["java", "-jar", "/opt/conntrail/conntrail.jar"]
CMD ["--help"]
