package dev.notiflow.sandbox;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import dev.notiflow.gateway.ApiKeys;
import dev.notiflow.gateway.Gateway;
import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.NotificationJob;
import dev.notiflow.push.PushServer;
import dev.notiflow.push.PushServerConfig;
import dev.notiflow.sinks.live.LiveOptions;
import dev.notiflow.testkit.KafkaGroups;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.redis.LocalRedis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 *
 * <p>The live channel too: a private Redis (the push registry) and a push server on {@code
 * --live-port} (8090), which the job's live sender reaches through the registry. Its token secret
 * is {@value #LIVE_SECRET_ENV} when set, generated otherwise; the gateway mints connection tokens
 * with it ({@code POST /v1/users/{userId}/live-token}).
 */
public final class ServeRun implements AutoCloseable {

    /** The environment variable whose value becomes the local API key. */
    public static final String KEY_ENV = "NOTIFLOW_API_KEY";

    /** The environment variable whose value becomes the live channel's token secret. */
    public static final String LIVE_SECRET_ENV = "NOTIFLOW_LIVE_SECRET";

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Gateway gateway;
    private final PushServer push;
    private final String apiKey;

    private ServeRun(
            int port,
            int livePort,
            Map<String, String> overrides,
            String presetKey,
            String presetLiveSecret)
            throws Exception {
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
            LocalRedis redis = LocalRedis.start();
            resources.add(redis);
            Path liveSecret = work.resolve("live-secret");
            Files.writeString(
                    liveSecret,
                    presetLiveSecret != null && !presetLiveSecret.isBlank()
                            ? presetLiveSecret
                            : generateKey() + generateKey());
            Files.setPosixFilePermissions(liveSecret, PosixFilePermissions.fromString("rw-------"));
            Map<String, String> live = new LinkedHashMap<>();
            live.put("live.host", "127.0.0.1");
            live.put("live.port", Integer.toString(livePort));
            live.put("live.internal-host", "127.0.0.1");
            live.put("live.internal-port", "0");
            live.put("live.advertised-url", "http://127.0.0.1:0");
            live.put("live.secret-file", liveSecret.toString());
            live.put("live.redis-uri", redis.uriWithoutPassword());
            live.put("live.redis-password-file", redis.passwordFile().toString());
            push = PushServer.start(PushServerConfig.fromMap(live, Map.of()));
            resources.add(push);
            Configuration config = LocalRun.jobConfig(kafka, providers, work, overrides);
            postgres.jdbcOptions().forEach(config::setString);
            config.set(LiveOptions.REDIS_URI, redis.uriWithoutPassword());
            config.set(LiveOptions.REDIS_PASSWORD_FILE, redis.passwordFile().toString());
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
            gw.put("live.secret-file", liveSecret.toString());
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
    public static ServeRun start(int port, int livePort, Map<String, String> overrides)
            throws Exception {
        return new ServeRun(
                port, livePort, overrides, System.getenv(KEY_ENV), System.getenv(LIVE_SECRET_ENV));
    }

    public String url() {
        return "http://127.0.0.1:" + gateway.port();
    }

    public String apiKey() {
        return apiKey;
    }

    /** The push server's WebSocket and SSE base, e.g. {@code ws://127.0.0.1:8090}. */
    public int livePort() {
        return push.port();
    }

    /** Runs until the process is interrupted (Ctrl-C), then stops everything. */
    static void serve(int port, int livePort, Map<String, String> overrides) throws Exception {
        ServeRun run = start(port, livePort, overrides);
        LocalRun.say("Gateway at %s", run.url());
        LocalRun.say("API key (send, manage, read): %s", run.apiKey());
        LocalRun.say(
                "Live channel: ws://127.0.0.1:%d/v1/live/ws and http://127.0.0.1:%d/v1/live/sse,"
                        + " with a token from POST %s/v1/users/<userId>/live-token",
                run.livePort(), run.livePort(), run.url());
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
