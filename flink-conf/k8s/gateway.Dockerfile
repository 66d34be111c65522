# The gateway image for flink-conf/k8s/gateway.yaml: a Java 17 runtime plus the gateway's shaded
# jar at the path the Deployment's command names.
#   mvn -B -pl gateway -am package -DskipTests
#   docker build -f flink-conf/k8s/gateway.Dockerfile -t registry.example.com/notiflow/notiflow-gateway:0.1.0 .
FROM eclipse-temurin:17-jre
ARG GATEWAY_JAR=gateway/target/notiflow-gateway-0.1.0-SNAPSHOT-shaded.jar
COPY ${GATEWAY_JAR} /opt/notiflow/notiflow-gateway.jar
USER 10001
EXPOSE 8080
