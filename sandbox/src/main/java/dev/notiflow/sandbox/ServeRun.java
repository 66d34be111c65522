package dev.notiflow.sandbox;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.gateway.ApiKeys;
import dev.notiflow.gateway.Gateway;
import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.ProviderScript;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code scripts/run-local.sh --serve [--port 8080]}: the whole stack kept running until
 * interrupted: the local broker, the local providers, the sending job and the delivery tables job
 * on MiniClusters, a private PostgreSQL, and the HTTP gateway in front of them. The gateway starts
 * once both jobs run, so its {@code /readyz} answers 200 only then. The API key (every scope) is
 * {@value #KEY_ENV} when set, generated otherwise; both are printed with the URL.
 */
public final class ServeRun implements AutoCloseable {

    /** The environment variable whose value becomes the local API key. */
    public static final String KEY_ENV = "NOTIFLOW_API_KEY";

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Gateway gateway;
    private final String apiKey;

    private ServeRun(int port, Map<String, String> overrides, String presetKey) throws Exception {
        boolean ok = false;
        try {
            LocalPostgres postgres = LocalPostgres.start();
            resources.add(postgres);
            LocalKafka kafka = LocalKafka.start();
            resources.add(kafka);
            KafkaGroups.createJobTopics(kafka, 2);
            kafka.createTopic("notification-engagement", 2, false);
            LocalProviders providers = LocalProviders.start(ProviderScript.acceptAll());
            resources.add(providers);
            Path work = Files.createTempDirectory("notiflow-serve");
            Configuration config = LocalRun.jobConfig(kafka, providers, work, overrides);
            postgres.jdbcOptions().forEach(config::setString);
            LocalRun.say(
                    "Kafka at %s; PostgreSQL at %s", kafka.bootstrapServers(), postgres.jdbcUrl());

            Configuration jobConfig = LocalRun.withRestPort(config);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(jobConfig);
            NotificationJob.build(env, jobConfig);
            JobClient job = env.executeAsync("notiflow-local");
            resources.add(() -> job.cancel().get());
            Configuration tablesConfig = LocalRun.withRestPort(config);
            StreamExecutionEnvironment tablesEnv =
                    StreamExecutionEnvironment.getExecutionEnvironment(tablesConfig);
            DeliveryTablesJob.build(tablesEnv, tablesConfig);
            JobClient tables = tablesEnv.executeAsync(DeliveryTablesJob.NAME);
            resources.add(() -> tables.cancel().get());
            awaitRunning(job, "the sending job");
            awaitRunning(tables, "the delivery tables job");

            apiKey = presetKey != null && !presetKey.isBlank() ? presetKey : generateKey();
            Map<String, String> gw = new LinkedHashMap<>(postgres.jdbcOptions());
            gw.put("kafka.bootstrap-servers", kafka.bootstrapServers());
            gw.put("gateway.port", Integer.toString(port));
            gw.put("gateway.host", "127.0.0.1");
            gw.put("gateway.instance-id", "local");
            gw.put(
                    "gateway.transactional-id-prefix",
                    "notiflow-gateway-" + System.currentTimeMillis());
            gateway =
                    new Gateway(
                                    gw,
                                    ApiKeys.parse(
                                            ApiKeys.line(apiKey, "send,manage,read", "local"),
                                            KEY_ENV))
                            .start();
            resources.add(gateway);
            ok = true;
        } finally {
            if (!ok) {
                close();
            }
        }
    }

    /** Starts everything; {@link #close} stops it. */
    public static ServeRun start(int port, Map<String, String> overrides) throws Exception {
        return new ServeRun(port, overrides, System.getenv(KEY_ENV));
    }

    public String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    public String apiKey() {
        return apiKey;
    }

    /** Runs until the process is interrupted (Ctrl-C), then stops everything. */
    static void serve(int port, Map<String, String> overrides) throws Exception {
        ServeRun run = start(port, overrides);
        LocalRun.say("Gateway at %s", run.url());
        LocalRun.say("API key (send, manage, read): %s", run.apiKey());
        LocalRun.say(
                "Try: curl -H 'Authorization: Bearer %s' %s/readyz   (Ctrl-C stops everything)",
                run.apiKey(), run.url());
        Thread main = Thread.currentThread();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    run.close();
                                    main.interrupt();
                                },
                                "serve-shutdown"));
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            // stopped
        }
    }

    private static void awaitRunning(JobClient job, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            JobStatus status = job.getJobStatus().get();
            if (status == JobStatus.RUNNING) {
                return;
            }
            if (status.isGloballyTerminalState()) {
                throw new IllegalStateException(what + " ended as " + status);
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(what + " did not start within 2 min");
    }

    private static String generateKey() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return "nfk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public synchronized void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LocalRun.say("while stopping: %s", e);
            }
        }
        resources.clear();
    }
}
