package dev.notiflow.sinks.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.live.LiveRegistryKeys;
import dev.notiflow.model.Content;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.sinks.ChannelSender;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends a notification over the live channel: looks the user up in the push registry (Redis, in the
 * layout of {@link LiveRegistryKeys}), posts the message to every push server that holds one of the
 * user's connections ({@code POST <server>/internal/v1/deliver}) and maps the answers:
 *
 * <ul>
 *   <li>a server answered 200 (a client acked) → ACCEPTED, the provider message id being the
 *       message's position in the user's history;
 *   <li>no live connection in the registry, or every server answered 404 → REJECTED {@value
 *       #NOT_CONNECTED}, which the job records as SKIPPED or follows with the category's fallback;
 *   <li>a server answered 504 (no ack within {@code live.ack-timeout}) → RETRYABLE {@value
 *       #ACK_TIMEOUT};
 *   <li>the registry did not answer → RETRYABLE {@value #REGISTRY_UNAVAILABLE}; a server could not
 *       be reached or answered 5xx → RETRYABLE {@value #PROVIDER_UNAVAILABLE}; 401 → RETRYABLE
 *       {@code CREDENTIALS_REJECTED} (the channel pauses); 400 → REJECTED {@value #BAD_REQUEST}.
 * </ul>
 *
 * <p>The deliveries go over HTTP/2 (h2c, cleartext, by the {@code Upgrade: h2c} of the first
 * request to a server): a delivery waits for the client's ack, up to {@code live.ack-timeout}, and
 * on HTTP/2 the deliveries in flight to one server are streams of one connection instead of one
 * socket each. A server that does not upgrade is spoken to in HTTP/1.1.
 *
 * <p>Thread-safe: Lettuce's connection and the JDK HttpClient are; long-lived, one per task.
 */
public final class LiveSender implements ChannelSender {

    public static final String NOT_CONNECTED = "NOT_CONNECTED";
    public static final String ACK_TIMEOUT = "ACK_TIMEOUT";
    public static final String REGISTRY_UNAVAILABLE = "REGISTRY_UNAVAILABLE";
    public static final String PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE";
    public static final String BAD_REQUEST = "BAD_REQUEST";
    static final String CREDENTIALS_REJECTED = "CREDENTIALS_REJECTED";

    private static final Logger LOG = LoggerFactory.getLogger(LiveSender.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DELIVER_PATH = "/internal/v1/deliver";
    private static final String HEALTH_PATH = "/healthz";
    private static final int MAX_KNOWN_SERVERS = 1024;

    private final LiveSettings settings;
    private final RedisClient redisClient;
    private final RedisURI redisUri;
    private final Object lock = new Object();
    private volatile CompletableFuture<StatefulRedisConnection<String, String>> connecting;
    private volatile long nextConnectNanos;
    private final HttpClient http;
    private final Map<String, CompletableFuture<Void>> opened = new ConcurrentHashMap<>();
    private final String internalToken;

    LiveSender(LiveSettings settings) {
        this.settings = settings;
        RedisURI uri = RedisURI.create(settings.redisUri());
        uri.setTimeout(settings.registryTimeout());
        String password = password(settings);
        if (password != null) {
            uri.setCredentialsProvider(
                    RedisCredentialsProvider.from(() -> RedisCredentials.just(null, password)));
        }
        this.redisUri = uri;
        this.redisClient = RedisClient.create(uri);
        this.http =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_2)
                        .connectTimeout(settings.connectTimeout())
                        .build();
        this.internalToken = read(settings.internalTokenFile());
        commands();
    }

    /**
     * The registry connection, opened without blocking (the constructor starts it) and again after
     * a failed attempt (at most once a second), so a registry that is down makes sends retryable
     * instead of stalling or failing the task; once connected, Lettuce reconnects by itself.
     */
    private CompletableFuture<RedisAsyncCommands<String, String>> commands() {
        CompletableFuture<StatefulRedisConnection<String, String>> f = connecting;
        if (f == null
                || (f.isCompletedExceptionally() && System.nanoTime() - nextConnectNanos >= 0)) {
            synchronized (lock) {
                f = connecting;
                if (f == null
                        || (f.isCompletedExceptionally()
                                && System.nanoTime() - nextConnectNanos >= 0)) {
                    nextConnectNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    f = redisClient.connectAsync(StringCodec.UTF8, redisUri).toCompletableFuture();
                    f.whenComplete(
                            (c, e) -> {
                                if (e != null) {
                                    LOG.warn(
                                            "push registry at {} unreachable: {}",
                                            redisUri.getHost(),
                                            e.toString());
                                } else {
                                    LOG.info(
                                            "Live sender connected to the push registry at {}",
                                            redisUri.getHost());
                                }
                            });
                    connecting = f;
                }
            }
        }
        return f.thenApply(StatefulRedisConnection::async);
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        String userId = request.userId();
        String key = LiveRegistryKeys.connections(userId);
        long now = System.currentTimeMillis();
        return commands()
                .thenCompose(
                        redis ->
                                redis.zrangebyscore(
                                                key,
                                                Range.from(
                                                        Range.Boundary.excluding((double) now),
                                                        Range.Boundary.unbounded()))
                                        .thenCompose(members -> instanceUrls(redis, members)))
                .orTimeout(settings.registryTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle(
                        (urls, error) -> {
                            if (error != null) {
                                return CompletableFuture.completedFuture(
                                        SendResult.retryable(
                                                REGISTRY_UNAVAILABLE,
                                                "registry lookup failed: " + cause(error),
                                                null));
                            }
                            if (urls.isEmpty()) {
                                return CompletableFuture.completedFuture(
                                        SendResult.rejected(NOT_CONNECTED, "no live connection"));
                            }
                            return deliver(request, urls);
                        })
                .thenCompose(f -> f);
    }

    /** The internal URLs of the instances holding the members; instances gone are left out. */
    private static CompletableFuture<List<String>> instanceUrls(
            RedisAsyncCommands<String, String> redis, List<String> members) {
        Set<String> instances = new LinkedHashSet<>();
        for (String m : members) {
            instances.add(LiveRegistryKeys.instanceOf(m));
        }
        if (instances.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        String[] keys = instances.stream().map(LiveRegistryKeys::instance).toArray(String[]::new);
        return redis.mget(keys)
                .thenApply(
                        values -> {
                            List<String> urls = new ArrayList<>();
                            for (KeyValue<String, String> kv : values) {
                                if (kv.hasValue()) {
                                    urls.add(kv.getValue());
                                }
                            }
                            return urls;
                        })
                .toCompletableFuture();
    }

    private CompletableFuture<SendResult> deliver(SendRequest request, List<String> urls) {
        String body = body(request);
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
        List<CompletableFuture<SendResult>> answers = new ArrayList<>();
        for (String url : urls) {
            answers.add(
                    opened(url)
                            .thenCompose(
                                    v -> {
                                        // The opening counts against this exchange's timeout.
                                        long left = Math.max(1, deadline - System.nanoTime());
                                        HttpRequest.Builder b =
                                                HttpRequest.newBuilder(
                                                                URI.create(url + DELIVER_PATH))
                                                        .timeout(Duration.ofNanos(left))
                                                        .header("Content-Type", "application/json")
                                                        .POST(
                                                                HttpRequest.BodyPublishers.ofString(
                                                                        body));
                                        if (internalToken != null) {
                                            b.header("Authorization", "Bearer " + internalToken);
                                        }
                                        return http.sendAsync(
                                                b.build(), HttpResponse.BodyHandlers.ofString());
                                    })
                            .handle(LiveSender::result));
        }
        return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0]))
                .thenApply(
                        v -> {
                            List<SendResult> results = new ArrayList<>();
                            answers.forEach(a -> results.add(a.join()));
                            return combine(results);
                        });
    }

    /**
     * Completes once the client holds an HTTP/2 connection to the server at {@code url}, or knows
     * it has none: the first request to a server is a {@code GET /healthz} whose {@code Upgrade:
     * h2c} turns the connection into HTTP/2, and deliveries wait for it, so that a burst of sends
     * to a new server shares that one connection instead of each opening its own HTTP/1.1
     * connection for an upgrade (the JDK client upgrades only a fresh connection). It takes at most
     * {@code live.connect-timeout}; when it fails, the deliveries go anyway (on HTTP/1.1 if the
     * server does not speak HTTP/2) and the next send opens again.
     */
    private CompletableFuture<Void> opened(String url) {
        CompletableFuture<Void> known = opened.get(url);
        if (known != null) {
            return known;
        }
        if (opened.size() >= MAX_KNOWN_SERVERS) {
            // Servers come and go with deploys; forgetting them costs one more opening each.
            opened.clear();
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> prior = opened.putIfAbsent(url, mine);
        if (prior != null) {
            return prior;
        }
        HttpRequest probe =
                HttpRequest.newBuilder(URI.create(url + HEALTH_PATH))
                        .timeout(settings.connectTimeout())
                        .GET()
                        .build();
        http.sendAsync(probe, HttpResponse.BodyHandlers.discarding())
                .whenComplete(
                        (r, e) -> {
                            if (e != null) {
                                opened.remove(url, mine);
                            }
                            mine.complete(null);
                        });
        return mine;
    }

    /** One acked delivery is enough; else a retryable answer wins over "not connected". */
    static SendResult combine(List<SendResult> results) {
        SendResult retryable = null;
        SendResult rejected = null;
        for (SendResult r : results) {
            switch (r.status()) {
                case ACCEPTED:
                    return r;
                case RETRYABLE:
                    if (retryable == null || ACK_TIMEOUT.equals(r.reason())) {
                        retryable = r;
                    }
                    break;
                default:
                    if (rejected == null || !NOT_CONNECTED.equals(r.reason())) {
                        rejected = r;
                    }
            }
        }
        return retryable != null ? retryable : rejected;
    }

    private static SendResult result(HttpResponse<String> response, Throwable error) {
        if (error != null) {
            Throwable c = cause(error);
            if (c instanceof HttpTimeoutException) {
                return SendResult.retryable(
                        ACK_TIMEOUT, "push server did not answer in time", null);
            }
            return SendResult.retryable(PROVIDER_UNAVAILABLE, "push server: " + c, null);
        }
        int status = response.statusCode();
        String position = field(response.body(), "position");
        switch (status) {
            case 200:
                return SendResult.accepted(position);
            case 404:
                return SendResult.rejected(NOT_CONNECTED, "404 from the push server");
            case 504:
                return SendResult.retryable(ACK_TIMEOUT, "504: the client did not ack", null);
            case 400:
                return SendResult.rejected(BAD_REQUEST, "400: " + field(response.body(), "error"));
            case 401:
            case 403:
                return SendResult.retryable(
                        CREDENTIALS_REJECTED,
                        status + " from the push server's internal port",
                        null);
            default:
                return SendResult.retryable(
                        PROVIDER_UNAVAILABLE, status + " from the push server", null);
        }
    }

    private String body(SendRequest request) {
        ObjectNode root = JSON.createObjectNode();
        root.put("userId", request.userId());
        root.put("ackTimeoutMillis", settings.ackTimeout().toMillis());
        ObjectNode m = root.putObject("message");
        m.put("notificationId", request.notificationId());
        m.put("eventId", request.eventId());
        m.put("eventType", request.type());
        m.put("category", request.category());
        Content c = request.content();
        m.put("title", c == null ? null : c.title());
        m.put("body", c == null ? null : c.body());
        ObjectNode data = m.putObject("data");
        if (request.data() != null) {
            for (Map.Entry<String, String> e : request.data().entrySet()) {
                data.put(e.getKey(), e.getValue());
            }
        }
        m.put(
                "priority",
                request.priority() == null
                        ? null
                        : request.priority().name().toLowerCase(java.util.Locale.ROOT));
        return root.toString();
    }

    private static String field(String body, String name) {
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode v = n == null ? null : n.get(name);
            return v == null || v.isNull() ? null : v.asText();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Throwable cause(Throwable t) {
        while ((t instanceof CompletionException
                        || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof TimeoutException ? new TimeoutException("timed out") : t;
    }

    private static String password(LiveSettings s) {
        String fromFile = read(s.redisPasswordFile());
        if (fromFile != null) {
            return fromFile;
        }
        String env = s.redisPasswordEnv() == null ? null : System.getenv(s.redisPasswordEnv());
        return env == null || env.isBlank() ? null : env.strip();
    }

    private static String read(String file) {
        if (file == null || file.isBlank()) {
            return null;
        }
        try {
            String v = Files.readString(Path.of(file)).strip();
            return v.isEmpty() ? null : v;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public void close() {
        CompletableFuture<StatefulRedisConnection<String, String>> f = connecting;
        if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
            f.join().close();
        }
        redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
