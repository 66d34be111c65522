package dev.notiflow.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.gateway.ApiKeys.Scope;
import dev.notiflow.live.LiveTokens;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.Priority;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.EngagementParser;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.Ids;
import dev.notiflow.serde.InvalidRecordException;
import dev.notiflow.serde.Json;
import dev.notiflow.serde.Rejection;
import dev.notiflow.serde.TemplateParser;
import dev.notiflow.serde.UserUpdateParser;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.javalin.router.Endpoint;
import io.javalin.security.RouteRole;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP gateway: Javalin routes in front of the input topics, the idempotency table and the
 * delivery table. {@link #start} binds the port; {@link #close} stops it and its clients.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String REPLAYED = "Idempotent-Replayed";
    private static final String START_NANOS = "notiflow.start";

    private final Map<String, String> config;
    private final ApiKeys apiKeys;
    private final Enqueuer enqueuer;
    private final Store store;
    private final Admin admin;
    private final Metrics metrics = new Metrics();
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final ScheduledExecutorService cleaner =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "gateway-cleanup");
                        t.setDaemon(true);
                        return t;
                    });
    private final GatewayOptions.RateLimit rateLimit;
    private final Duration kafkaTimeout;
    private final Duration window;
    private final int maxBatch;
    private final int maxRecordBytes;
    private final long maxRequestBytes;
    private final String topicEvents;
    private final String topicPreferences;
    private final String topicDevices;
    private final String topicTemplates;
    private final String topicEngagement;
    private final String topicPriorityEvents;
    private final LiveTokens liveTokens;
    private final Duration liveTokenTtl;
    private final byte[] openApi;
    private Javalin app;

    public Gateway(Map<String, String> config, ApiKeys apiKeys) throws IOException {
        GatewayOptions.validate(config);
        this.config = Map.copyOf(config);
        this.apiKeys = apiKeys;
        this.kafkaTimeout = GatewayOptions.KAFKA_TIMEOUT.get(config);
        this.window = GatewayOptions.IDEMPOTENCY_WINDOW.get(config);
        this.maxBatch = GatewayOptions.MAX_BATCH.get(config);
        this.maxRecordBytes = GatewayOptions.MAX_RECORD_BYTES.get(config);
        this.maxRequestBytes = GatewayOptions.MAX_REQUEST_BYTES.get(config);
        this.rateLimit = GatewayOptions.RATE_LIMIT.get(config);
        this.topicEvents = GatewayOptions.TOPIC_EVENTS.get(config);
        this.topicPreferences = GatewayOptions.TOPIC_PREFERENCES.get(config);
        this.topicDevices = GatewayOptions.TOPIC_DEVICES.get(config);
        this.topicTemplates = GatewayOptions.TOPIC_TEMPLATES.get(config);
        this.topicEngagement = GatewayOptions.TOPIC_ENGAGEMENT.get(config);
        this.topicPriorityEvents = GatewayOptions.TOPIC_PRIORITY_EVENTS.get(config);
        this.liveTokens = liveTokens(config);
        this.liveTokenTtl = GatewayOptions.LIVE_TOKEN_TTL.get(config);
        String bootstrap = GatewayOptions.KAFKA_BOOTSTRAP_SERVERS.required(config);
        String instance = GatewayOptions.INSTANCE_ID.get(config);
        if (instance == null) {
            instance = InetAddress.getLocalHost().getHostName();
        }
        try (InputStream in = Gateway.class.getResourceAsStream("/openapi.json")) {
            openApi = in.readAllBytes();
        }
        this.store =
                new Store(
                        GatewayOptions.JDBC_URL.required(config),
                        GatewayOptions.JDBC_USER.get(config),
                        password(config),
                        GatewayOptions.JDBC_POOL_SIZE.get(config));
        this.enqueuer =
                new Enqueuer(
                        bootstrap,
                        GatewayOptions.TRANSACTIONAL_ID_PREFIX.get(config),
                        instance,
                        GatewayOptions.PRODUCERS.get(config),
                        kafkaTimeout);
        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        adminProps.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        this.admin = Admin.create(adminProps);
    }

    private static String password(Map<String, String> config) {
        return secret(
                config, GatewayOptions.JDBC_PASSWORD_FILE, GatewayOptions.JDBC_PASSWORD_ENV_NAME);
    }

    /**
     * A secret from the file {@code fileOption} names, stripped, or else from the environment
     * variable {@code envOption} names; {@code null} when neither gives one.
     */
    private static String secret(
            Map<String, String> config,
            GatewayOptions.Option<String> fileOption,
            GatewayOptions.Option<String> envOption) {
        String file = fileOption.get(config);
        if (file != null) {
            try {
                return java.nio.file.Files.readString(java.nio.file.Path.of(file)).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        fileOption.key() + ": cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        String env = envOption.get(config);
        return env == null ? null : System.getenv(env);
    }

    /**
     * The minter of live connection tokens, from {@code live.secret-file} or the variable {@code
     * live.secret-env} names; {@code null} when neither gives a secret.
     */
    private static LiveTokens liveTokens(Map<String, String> config) {
        String secret =
                secret(config, GatewayOptions.LIVE_SECRET_FILE, GatewayOptions.LIVE_SECRET_ENV);
        boolean fromFile = GatewayOptions.LIVE_SECRET_FILE.get(config) != null;
        if (secret == null || (!fromFile && secret.isBlank())) {
            return null;
        }
        String key =
                fromFile
                        ? GatewayOptions.LIVE_SECRET_FILE.key()
                        : GatewayOptions.LIVE_SECRET_ENV.key()
                                + " ("
                                + GatewayOptions.LIVE_SECRET_ENV.get(config)
                                + ")";
        try {
            return new LiveTokens(secret.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /** Applies the migrations and starts serving; returns this. */
    public Gateway start() {
        store.migrate();
        Duration every = GatewayOptions.CLEANUP_INTERVAL.get(config);
        cleaner.scheduleWithFixedDelay(
                this::deleteExpired, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        cleaner.execute(enqueuer::warmUp);
        app = Javalin.create(this::configure);
        app.start(GatewayOptions.HOST.get(config), GatewayOptions.PORT.get(config));
        LOG.info("Gateway listening on port {}", app.port());
        return this;
    }

    public int port() {
        return app.port();
    }

    /** The routes the server registered (method and path), for the OpenAPI check. */
    public List<Endpoint> endpoints() {
        return app.unsafe.internalRouter.allHttpHandlers().stream().map(p -> p.endpoint).toList();
    }

    Store store() {
        return store;
    }

    void deleteExpired() {
        try {
            int n = store.deleteExpired();
            if (n > 0) {
                LOG.info("Deleted {} expired idempotency rows", n);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Could not delete expired idempotency rows: {}", e.toString());
        }
    }

    private void configure(io.javalin.config.JavalinConfig c) {
        c.jsonMapper(new JavalinJackson(Json.MAPPER, false));
        c.http.maxRequestSize = maxRequestBytes;
        c.startup.showJavalinBanner = false;
        var r = c.routes;
        r.before(ctx -> ctx.attribute(START_NANOS, System.nanoTime()));
        r.beforeMatched(this::authorize);
        r.after(this::record);
        r.exception(HttpResponseException.class, this::httpError);
        r.exception(
                Exception.class,
                (e, ctx) -> {
                    LOG.error("Request {} {} failed", ctx.method(), ctx.path(), e);
                    error(ctx, 500, "internal", "internal error");
                });
        r.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        r.get("/readyz", this::ready);
        r.get(
                "/metrics",
                ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        r.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
        r.post("/v1/events", this::postEvents, Scope.SEND);
        r.get("/v1/events/{eventId}", this::getEvent, Scope.READ);
        r.post("/v1/notifications/{notificationId}/events", this::postEngagement, Scope.SEND);
        r.put("/v1/users/{userId}/preferences", this::putPreferences, Scope.MANAGE);
        r.delete("/v1/users/{userId}", this::deleteUser, Scope.MANAGE);
        r.put("/v1/users/{userId}/devices/{token}", this::putDevice, Scope.MANAGE);
        r.delete("/v1/users/{userId}/devices/{token}", this::deleteDevice, Scope.MANAGE);
        r.post("/v1/users/{userId}/live-token", this::postLiveToken, Scope.MANAGE);
        r.put("/v1/templates/{templateId}/{locale}", this::putTemplate, Scope.MANAGE);
        r.delete("/v1/templates/{templateId}/{locale}", this::deleteTemplate, Scope.MANAGE);
    }

    // ---- auth, limits, metrics

    private void authorize(Context ctx) {
        Set<RouteRole> roles = ctx.routeRoles();
        if (roles.isEmpty()) {
            return;
        }
        String auth = ctx.header("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw halt(ctx, 401, "unauthorized", "Authorization: Bearer <API key> is required");
        }
        ApiKeys.Key key = apiKeys.find(auth.substring(7).strip());
        if (key == null) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw halt(ctx, 401, "unauthorized", "unknown API key");
        }
        for (RouteRole role : roles) {
            if (!key.scopes().contains((Scope) role)) {
                throw halt(
                        ctx,
                        403,
                        "forbidden",
                        "the key '" + key.name() + "' lacks the scope " + ((Scope) role).wire());
            }
        }
        ctx.attribute("apiKey", key.name());
        ConsumptionProbe probe =
                buckets.computeIfAbsent(key.name(), k -> newBucket())
                        .tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            long seconds =
                    Math.max(
                            1,
                            TimeUnit.NANOSECONDS.toSeconds(
                                    probe.getNanosToWaitForRefill() + 999_999_999L));
            ctx.header("Retry-After", Long.toString(seconds));
            throw halt(
                    ctx,
                    429,
                    "rate_limited",
                    "more than " + rateLimit.permits() + " requests per " + rateLimit.period());
        }
        long length = ctx.contentLength();
        if (length > maxRequestBytes) {
            throw halt(
                    ctx,
                    413,
                    "too_large",
                    "the body may have at most " + maxRequestBytes + " bytes");
        }
    }

    private Bucket newBucket() {
        return Bucket.builder()
                .addLimit(
                        l ->
                                l.capacity(rateLimit.permits())
                                        .refillGreedy(rateLimit.permits(), rateLimit.period()))
                .build();
    }

    private void record(Context ctx) {
        Long start = ctx.attribute(START_NANOS);
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        String route = matched == null ? "unmatched" : matched.path;
        String method = ctx.method().name();
        metrics.requests.labelValues(method, route, Integer.toString(ctx.statusCode())).inc();
        if (start != null) {
            metrics.latency.labelValues(method, route).observe((System.nanoTime() - start) / 1e9);
        }
    }

    /** Ends the request with a JSON error (the before handler's way to stop it). */
    private static HttpResponseException halt(
            Context ctx, int status, String error, String message) {
        return new HttpResponseException(status, error + "\u0000" + message);
    }

    private void httpError(HttpResponseException e, Context ctx) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        int nul = msg.indexOf('\u0000');
        if (nul >= 0) {
            error(ctx, e.getStatus(), msg.substring(0, nul), msg.substring(nul + 1));
        } else {
            error(
                    ctx,
                    e.getStatus(),
                    e.getStatus() == 413 ? "too_large" : "http_" + e.getStatus(),
                    msg);
        }
    }

    private static void error(Context ctx, int status, String error, String message) {
        ctx.status(status).json(Map.of("error", error, "message", message));
    }

    private void unavailable(Context ctx, String message) {
        metrics.unavailable.inc();
        ctx.header("Retry-After", Long.toString(Math.max(1, kafkaTimeout.toSeconds() / 2)));
        error(ctx, 503, "unavailable", message);
    }

    private void ready(Context ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        boolean kafka;
        try {
            kafka =
                    !admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000))
                            .nodes()
                            .get(2, TimeUnit.SECONDS)
                            .isEmpty();
        } catch (Exception e) {
            kafka = false;
        }
        boolean db = store.reachable(Duration.ofSeconds(2));
        out.put("kafka", kafka ? "up" : "down");
        out.put("database", db ? "up" : "down");
        ctx.status(kafka && db ? 200 : 503).json(out);
    }

    // ---- POST /v1/events

    private void postEvents(Context ctx) throws Exception {
        byte[] body = ctx.bodyAsBytes();
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            error(
                    ctx,
                    400,
                    Rejection.MALFORMED_JSON,
                    "the body is not one JSON object: "
                            + (e instanceof JsonProcessingException j
                                    ? j.getOriginalMessage()
                                    : e.getMessage()));
            return;
        }
        if (root == null || !root.isObject()) {
            error(
                    ctx,
                    400,
                    Rejection.MALFORMED_JSON,
                    "the body must be an event or {\"events\": [...]}");
            return;
        }
        boolean batch = root.has("events") && !root.has("eventId");
        List<byte[]> items = new ArrayList<>();
        if (batch) {
            JsonNode events = root.get("events");
            if (!events.isArray() || events.isEmpty()) {
                error(ctx, 400, Rejection.INVALID_FIELD, "events: must be a non-empty array");
                return;
            }
            if (events.size() > maxBatch) {
                error(
                        ctx,
                        400,
                        Rejection.INVALID_FIELD,
                        "events: at most "
                                + maxBatch
                                + " per request (gateway.max-batch), got "
                                + events.size());
                return;
            }
            for (JsonNode item : events) {
                items.add(Json.MAPPER.writeValueAsBytes(item));
            }
        } else {
            items.add(body);
        }

        String apiKey = ctx.attribute("apiKey");
        String idemKey = ctx.header(IDEMPOTENCY_KEY);
        if (idemKey == null && !batch && root.path("eventId").isTextual()) {
            idemKey = root.get("eventId").asText();
        }
        if (idemKey != null && (idemKey.isBlank() || idemKey.length() > 256)) {
            error(ctx, 400, "invalid_idempotency_key", "Idempotency-Key: 1 to 256 characters");
            return;
        }
        if (idemKey != null) {
            String hash = HexFormat.of().formatHex(ApiKeys.sha256(body));
            Store.Claim claim;
            try {
                claim = store.claim(apiKey, idemKey, hash, window, kafkaTimeout.multipliedBy(3));
            } catch (SQLException e) {
                LOG.warn("Idempotency store unavailable: {}", e.toString());
                ctx.header("Retry-After", "1");
                error(ctx, 503, "unavailable", "the idempotency store is unavailable");
                return;
            }
            if (claim instanceof Store.Answered a) {
                ctx.header(REPLAYED, "true");
                ctx.status(a.status()).contentType("application/json").result(a.response());
                return;
            }
            if (claim instanceof Store.Conflict) {
                error(
                        ctx,
                        422,
                        "idempotency_key_reused",
                        "Idempotency-Key '" + idemKey + "' was used with another body");
                return;
            }
            if (claim instanceof Store.InProgress) {
                ctx.header("Retry-After", Long.toString(Math.max(1, kafkaTimeout.toSeconds())));
                error(
                        ctx,
                        409,
                        "in_progress",
                        "a request with Idempotency-Key '" + idemKey + "' is being enqueued");
                return;
            }
        }

        long now = System.currentTimeMillis();
        ArrayNode accepted = Json.MAPPER.createArrayNode();
        ArrayNode rejected = Json.MAPPER.createArrayNode();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> eventIds = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            byte[] value = items.get(i);
            try {
                NotificationEvent e =
                        EventParser.parse(
                                new RawRecord(topicEvents, -1, -1, now, null, value),
                                maxRecordBytes);
                records.add(
                        new ProducerRecord<>(
                                topicPriorityEvents != null && e.priority() == Priority.HIGH
                                        ? topicPriorityEvents
                                        : topicEvents,
                                null,
                                now,
                                e.eventId().getBytes(StandardCharsets.UTF_8),
                                value));
                eventIds.add(e.eventId());
                accepted.addObject().put("index", i).put("eventId", e.eventId());
            } catch (InvalidRecordException ex) {
                Rejection r = ex.rejection();
                metrics.rejections.labelValues(r.reason()).inc();
                rejected.addObject()
                        .put("index", i)
                        .put("reason", r.reason())
                        .put("detail", r.detail());
            }
        }
        try {
            enqueuer.send(records);
        } catch (Enqueuer.UnavailableException e) {
            LOG.warn("Request not enqueued: {}", e.getMessage());
            if (idemKey != null) {
                releaseQuietly(apiKey, idemKey);
            }
            unavailable(ctx, "Kafka did not take the request; nothing of it was enqueued");
            return;
        }
        for (ProducerRecord<byte[], byte[]> r : records) {
            metrics.produced.labelValues(r.topic()).inc();
        }
        ObjectNode answer = Json.MAPPER.createObjectNode();
        answer.set("accepted", accepted);
        answer.set("rejected", rejected);
        String text = Json.MAPPER.writeValueAsString(answer);
        try {
            store.eventsAccepted(eventIds, window);
            if (idemKey != null) {
                store.complete(apiKey, idemKey, 202, text);
            }
        } catch (SQLException e) {
            // enqueued all the same: a repeat after the claim went stale produces again, and the
            // job's dedupe drops the repeated eventIds
            LOG.warn("Could not record the answer of {}: {}", idemKey, e.toString());
        }
        ctx.status(202).contentType("application/json").result(text);
    }

    private void releaseQuietly(String apiKey, String idemKey) {
        try {
            store.release(apiKey, idemKey);
        } catch (SQLException e) {
            LOG.warn("Could not release the claim of {}: {}", idemKey, e.toString());
        }
    }

    // ---- GET /v1/events/{eventId}

    private void getEvent(Context ctx) throws Exception {
        String eventId = ctx.pathParam("eventId");
        List<Map<String, Object>> rows = store.deliveries(eventId);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("eventId", eventId);
        if (rows.isEmpty()) {
            Instant accepted = store.knownEvent(eventId);
            if (accepted == null) {
                error(
                        ctx,
                        404,
                        "not_found",
                        "no delivery of event '"
                                + eventId
                                + "' and the gateway did not enqueue it within gateway.idempotency-window");
                return;
            }
            out.put("acceptedAt", accepted.toString());
        }
        out.put("notifications", rows);
        ctx.json(out);
    }

    // ---- engagement

    private void postEngagement(Context ctx) throws Exception {
        String notificationId = ctx.pathParam("notificationId");
        JsonNode body = object(ctx);
        if (body == null) {
            return;
        }
        try {
            Ids.check("notificationId", notificationId);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        // The record as the tables job reads it, checked by the topic's own parser.
        ObjectNode value = Json.MAPPER.createObjectNode();
        value.put("notificationId", notificationId);
        value.set("event", body.get("event"));
        if (body.hasNonNull("at")) {
            value.set("at", body.get("at"));
        }
        value.put("source", "gateway");
        value.put("receivedAt", Instant.now().toString());
        Engagement parsed;
        try {
            parsed =
                    EngagementParser.parse(
                            raw(
                                    topicEngagement,
                                    notificationId,
                                    Json.MAPPER.writeValueAsBytes(value)),
                            maxRecordBytes);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        // When it happened, in UTC (the default: when it was received).
        value.put("at", parsed.at().toString());
        produce(ctx, topicEngagement, notificationId, Json.MAPPER.writeValueAsBytes(value), 202);
    }

    // ---- live connection tokens

    private void postLiveToken(Context ctx) {
        String userId = userId(ctx);
        if (userId == null) {
            return;
        }
        if (liveTokens == null) {
            error(
                    ctx,
                    501,
                    "live_disabled",
                    "no live secret: set live.secret-file or the variable live.secret-env names");
            return;
        }
        // JWT times are whole seconds: the answer gives the token's own expiry.
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant expiresAt = now.plus(liveTokenTtl);
        Map<String, String> out = new LinkedHashMap<>();
        out.put("userId", userId);
        out.put("token", liveTokens.mint(userId, now, expiresAt));
        out.put("expiresAt", expiresAt.toString());
        ctx.status(200).json(out);
    }

    // ---- users, devices, templates

    private void putPreferences(Context ctx) throws Exception {
        String userId = userId(ctx);
        ObjectNode body = object(ctx);
        if (userId == null || body == null || !samePath(ctx, body, "userId", userId)) {
            return;
        }
        byte[] value = Json.MAPPER.writeValueAsBytes(body);
        try {
            UserUpdateParser.preferences(raw(topicPreferences, userId, value), maxRecordBytes);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        produce(ctx, topicPreferences, userId, value, 202);
    }

    private void putDevice(Context ctx) throws Exception {
        String userId = userId(ctx);
        String token = ctx.pathParam("token");
        ObjectNode body = object(ctx);
        if (userId == null
                || body == null
                || !samePath(ctx, body, "userId", userId)
                || !samePath(ctx, body, "token", token)) {
            return;
        }
        String key = userId + ":" + token;
        byte[] value = Json.MAPPER.writeValueAsBytes(body);
        try {
            UserUpdateParser.deviceToken(raw(topicDevices, key, value), maxRecordBytes);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        if (produce(ctx, topicDevices, key, value, 202)) {
            store.deviceRegistered(userId, token);
        }
    }

    private void deleteDevice(Context ctx) throws Exception {
        String userId = userId(ctx);
        String token = ctx.pathParam("token");
        if (userId == null) {
            return;
        }
        String key = userId + ":" + token;
        try {
            UserUpdateParser.deviceToken(raw(topicDevices, key, null), maxRecordBytes);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        if (produce(ctx, topicDevices, key, null, 202)) {
            store.devicesRemoved(userId, List.of(token));
        }
    }

    private void deleteUser(Context ctx) throws Exception {
        String userId = userId(ctx);
        if (userId == null) {
            return;
        }
        List<String> tokens = store.devices(userId);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        records.add(record(topicPreferences, userId, null));
        for (String token : tokens) {
            records.add(record(topicDevices, userId + ":" + token, null));
        }
        if (!send(ctx, records)) {
            return;
        }
        store.devicesRemoved(userId, tokens);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("userId", userId);
        out.put("devicesRemoved", tokens.size());
        ctx.status(202).json(out);
    }

    private void putTemplate(Context ctx) throws Exception {
        String templateId = ctx.pathParam("templateId");
        String locale = ctx.pathParam("locale");
        ObjectNode body = object(ctx);
        if (body == null
                || !samePath(ctx, body, "templateId", templateId)
                || !samePath(ctx, body, "locale", locale)) {
            return;
        }
        String key = templateId + ":" + locale;
        byte[] value = Json.MAPPER.writeValueAsBytes(body);
        try {
            TemplateParser.parse(raw(topicTemplates, key, value), maxRecordBytes);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        produce(ctx, topicTemplates, key, value, 202);
    }

    private void deleteTemplate(Context ctx) throws Exception {
        String key = ctx.pathParam("templateId") + ":" + ctx.pathParam("locale");
        try {
            TemplateParser.parse(raw(topicTemplates, key, null), maxRecordBytes);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return;
        }
        produce(ctx, topicTemplates, key, null, 202);
    }

    // ---- helpers

    private String userId(Context ctx) {
        String userId = ctx.pathParam("userId");
        if (userId.indexOf(':') >= 0) {
            error(
                    ctx,
                    400,
                    Rejection.INVALID_FIELD,
                    "userId: must not contain ':' (device keys are userId:token)");
            return null;
        }
        try {
            Ids.check("userId", userId);
        } catch (InvalidRecordException e) {
            rejection(ctx, e);
            return null;
        }
        return userId;
    }

    /** The body as a JSON object, or null after answering 400. */
    private ObjectNode object(Context ctx) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(ctx.bodyAsBytes());
        } catch (IOException e) {
            error(ctx, 400, Rejection.MALFORMED_JSON, "the body is not one JSON object");
            return null;
        }
        if (node == null || !node.isObject()) {
            error(ctx, 400, Rejection.MALFORMED_JSON, "the body must be a JSON object");
            return null;
        }
        return (ObjectNode) node;
    }

    /** Fills {@code field} from the path when absent; false (after 400) when it differs. */
    private static boolean samePath(Context ctx, ObjectNode body, String field, String fromPath) {
        JsonNode given = body.get(field);
        if (given == null || given.isNull()) {
            body.put(field, fromPath);
            return true;
        }
        if (!given.isTextual() || !given.asText().equals(fromPath)) {
            error(
                    ctx,
                    400,
                    Rejection.INVALID_FIELD,
                    field + ": the body says " + given + ", the path '" + fromPath + "'");
            return false;
        }
        return true;
    }

    private static RawRecord raw(String topic, String key, byte[] value) {
        return new RawRecord(
                topic,
                -1,
                -1,
                System.currentTimeMillis(),
                key.getBytes(StandardCharsets.UTF_8),
                value);
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static void rejection(Context ctx, InvalidRecordException e) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("error", "rejected");
        out.put("reason", e.rejection().reason());
        out.put("detail", e.rejection().detail());
        ctx.status(400).json(out);
    }

    private boolean produce(Context ctx, String topic, String key, byte[] value, int status)
            throws Exception {
        if (!send(ctx, List.of(record(topic, key, value)))) {
            return false;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("topic", topic);
        out.put("key", key);
        out.put("tombstone", value == null);
        ctx.status(status).json(out);
        return true;
    }

    private boolean send(Context ctx, List<ProducerRecord<byte[], byte[]>> records)
            throws InterruptedException {
        try {
            enqueuer.send(records);
        } catch (Enqueuer.UnavailableException e) {
            LOG.warn("Request not enqueued: {}", e.getMessage());
            unavailable(ctx, "Kafka did not take the request; nothing of it was enqueued");
            return false;
        }
        for (ProducerRecord<byte[], byte[]> r : records) {
            metrics.produced.labelValues(r.topic()).inc();
        }
        return true;
    }

    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        cleaner.shutdownNow();
        enqueuer.close();
        admin.close(Duration.ofSeconds(2));
        store.close();
    }

    static String json(Object o) throws JsonProcessingException {
        return Json.MAPPER.writeValueAsString(o);
    }
}
