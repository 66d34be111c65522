package dev.notiflow.testkit.providers.fcm;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.tls.LocalCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local Firebase Cloud Messaging provider: the FCM HTTP v1 API ({@code POST
 * /v1/projects/{id}/messages:send}) and a Google OAuth token endpoint ({@code POST /token}) on one
 * plain-HTTP loopback port, so firebase-admin's real client runs against it by configuration.
 *
 * <p>Like Google: the token endpoint takes a service account's signed JWT assertion (RS256,
 * verified against the key of the service account generated at start, see {@link
 * #credentialsFile()}) and issues bearer tokens; the send endpoint requires one of them ({@code 401
 * UNAUTHENTICATED} otherwise), checks the project id ({@code 404 NOT_FOUND}), the token ({@code 400
 * INVALID_ARGUMENT}) and the 4096-byte payload limit, and answers {@code 200 {"name":
 * "projects/p/messages/N"}}. Errors use Google's JSON format with {@code error.status} and an
 * {@code FcmError} detail carrying the FCM error code; 429 and 503 carry {@code Retry-After} when
 * the script gives {@code retryAfter} seconds.
 *
 * <p>Script answers under {@code "fcm"}, per device token: {@code {"status": 404, "errorCode":
 * "UNREGISTERED", "message": "…", "retryAfter": 30}}; the error code defaults from the status (400
 * INVALID_ARGUMENT, 401 THIRD_PARTY_AUTH_ERROR, 403 SENDER_ID_MISMATCH, 404 UNREGISTERED, 429
 * QUOTA_EXCEEDED, 500 INTERNAL, 503 UNAVAILABLE). A transient failure answers {@code 503
 * UNAVAILABLE}. {@code latencyMs} delays each answer on a worker thread (32 of them), never the
 * accept loop.
 *
 * <pre>{@code
 * try (MockFcmProvider fcm = MockFcmProvider.start()) {
 *     Map<String, String> conf = fcm.senderConfig(); // fcm.credentials-file, fcm.endpoint, …
 *     ...
 *     assertThat(fcm.received()).extracting(ReceivedCall::status).containsExactly(200);
 * }
 * }</pre>
 *
 * <p>Thread-safe: the script may be replaced and {@link #received()} read while clients send.
 */
public final class MockFcmProvider implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MockFcmProvider.class);
    private static final ObjectMapper MAPPER =
            JsonMapper.builder()
                    .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                    .build();

    /** Project id of the generated service account. */
    public static final String PROJECT_ID = "notiflow-local";

    private static final String FCM_ERROR_TYPE =
            "type.googleapis.com/google.firebase.fcm.v1.FcmError";
    private static final Pattern SEND_PATH =
            Pattern.compile("^/v1/projects/([^/]+)/messages:send$");
    private static final int MAX_PAYLOAD_BYTES = 4096;
    private static final int WORKER_THREADS = 32;
    private static final int MAX_KEPT_MESSAGES = 10_000;

    private final HttpServer server;
    private final ExecutorService workers;
    private final Path credentialsFile;
    private final String clientEmail;
    private final Map<String, PublicKey> serviceAccountKeys = new ConcurrentHashMap<>();
    private final Set<String> accessTokens = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<ReceivedCall> received = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<FcmMessage> messages = new ConcurrentLinkedQueue<>();
    private final AtomicInteger messageCount = new AtomicInteger();
    private final AtomicLong messageIds = new AtomicLong();
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private volatile ProviderScript script;
    private volatile boolean recording = true;

    private MockFcmProvider(ProviderScript script) throws IOException, GeneralSecurityException {
        this.script = script;
        this.server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        this.workers =
                new ThreadPoolExecutor(
                        WORKER_THREADS,
                        WORKER_THREADS,
                        30,
                        TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(),
                        r -> {
                            Thread t = new Thread(r, "mock-fcm-worker");
                            t.setDaemon(true);
                            return t;
                        });
        server.setExecutor(workers);
        server.createContext("/", this::handle);
        server.start();

        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        String keyId = UUID.randomUUID().toString().replace("-", "");
        this.clientEmail = "notiflow-sender@" + PROJECT_ID + ".iam.gserviceaccount.com";
        serviceAccountKeys.put(clientEmail, pair.getPublic());

        ObjectNode account = MAPPER.createObjectNode();
        account.put("type", "service_account");
        account.put("project_id", PROJECT_ID);
        account.put("private_key_id", keyId);
        account.put(
                "private_key",
                LocalCertificate.toPem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        account.put("client_email", clientEmail);
        account.put("client_id", "100000000000000000001");
        account.put("token_uri", baseUrl() + "/token");
        Path dir = Files.createTempDirectory("notiflow-fcm-");
        dir.toFile().deleteOnExit();
        this.credentialsFile = dir.resolve("service-account.json");
        Files.writeString(
                credentialsFile,
                MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(account));
        credentialsFile.toFile().deleteOnExit();
        LOG.info("Mock FCM provider listening on {}", baseUrl());
    }

    /** Starts a provider that accepts everything, on a free loopback port. */
    public static MockFcmProvider start() {
        return start(ProviderScript.acceptAll());
    }

    public static MockFcmProvider start(ProviderScript script) {
        try {
            return new MockFcmProvider(script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate the mock FCM service account", e);
        }
    }

    public void setScript(ProviderScript script) {
        this.script = script;
    }

    public ProviderScript script() {
        return script;
    }

    /**
     * Whether each send is kept for {@link #received()} and {@link #receivedMessages()} (the
     * default). A benchmark turns it off, so that millions of sends cost the server no memory and
     * no per-call bookkeeping; the answers stay the same.
     */
    public void setRecording(boolean recording) {
        this.recording = recording;
    }

    /** Every send request received so far (not token requests), in arrival order. */
    public List<ReceivedCall> received() {
        return new ArrayList<>(received);
    }

    /**
     * The last {@value #MAX_KEPT_MESSAGES} messages received, with their JSON, in arrival order.
     */
    public List<FcmMessage> receivedMessages() {
        return new ArrayList<>(messages);
    }

    public void clear() {
        received.clear();
        messages.clear();
        messageCount.set(0);
    }

    /** How many OAuth token requests were answered with a token. */
    public int tokensIssued() {
        return tokenRequests.get();
    }

    /** Forgets every issued access token: later sends with them get 401 UNAUTHENTICATED. */
    public void revokeAccessTokens() {
        accessTokens.clear();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:41234}; what {@code fcm.endpoint} points to. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** The generated service-account JSON, whose {@code token_uri} points at this provider. */
    public Path credentialsFile() {
        return credentialsFile;
    }

    /** The sender configuration that reaches this provider with the generated credentials. */
    public Map<String, String> senderConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("fcm.credentials-file", credentialsFile.toString());
        conf.put("fcm.project-id", PROJECT_ID);
        conf.put("fcm.endpoint", baseUrl());
        return conf;
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            byte[] body = readBody(exchange.getRequestBody());
            if (!"POST".equals(exchange.getRequestMethod())) {
                respondError(exchange, 405, "METHOD_NOT_ALLOWED", null, "Method not allowed.");
                return;
            }
            if (path.equals("/token")) {
                handleToken(exchange, body);
                return;
            }
            Matcher send = SEND_PATH.matcher(path);
            if (send.matches()) {
                handleSend(exchange, send.group(1), body);
                return;
            }
            respondError(exchange, 404, "NOT_FOUND", null, "Not found: " + path);
        } catch (RuntimeException e) {
            LOG.warn("Mock FCM provider failed on a request", e);
            try {
                respondError(exchange, 500, "INTERNAL", "INTERNAL", "Internal error encountered.");
            } catch (IOException ignored) {
                // the client is gone
            }
        }
    }

    private void handleToken(HttpExchange exchange, byte[] body) throws IOException {
        Map<String, String> form = parseForm(new String(body, StandardCharsets.UTF_8));
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type"))) {
            tokenError(exchange, "unsupported_grant_type", "Invalid grant_type.");
            return;
        }
        String assertion = form.get("assertion");
        String problem = verifyAssertion(assertion);
        if (problem != null) {
            tokenError(exchange, "invalid_grant", problem);
            return;
        }
        String token = "ya29.mock-" + UUID.randomUUID();
        accessTokens.add(token);
        tokenRequests.incrementAndGet();
        ObjectNode answer = MAPPER.createObjectNode();
        answer.put("access_token", token);
        answer.put("expires_in", 3599);
        answer.put("token_type", "Bearer");
        respond(exchange, 200, answer, null);
    }

    /** Returns why the JWT assertion is not acceptable, or {@code null} when it is. */
    private String verifyAssertion(String assertion) {
        if (assertion == null) {
            return "Missing assertion.";
        }
        String[] parts = assertion.split("\\.");
        if (parts.length != 3) {
            return "Invalid JWT.";
        }
        try {
            JsonNode claims = MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            PublicKey key = serviceAccountKeys.get(claims.path("iss").asText());
            if (key == null) {
                return "Invalid JWT: unknown issuer.";
            }
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(key);
            verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(Base64.getUrlDecoder().decode(parts[2]))) {
                return "Invalid JWT Signature.";
            }
            long now = Instant.now().getEpochSecond();
            if (claims.path("exp").asLong(0) < now) {
                return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.";
            }
            return null;
        } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
            return "Invalid JWT.";
        }
    }

    private void handleSend(HttpExchange exchange, String projectId, byte[] body)
            throws IOException {
        ProviderScript current = script;
        delay(current.latencyMs());
        JsonNode message;
        try {
            message = MAPPER.readTree(body).path("message");
        } catch (IOException e) {
            message = MAPPER.missingNode();
        }
        String token = message.path("token").isTextual() ? message.path("token").asText() : null;
        String ref =
                message.path("data").path("notificationId").isTextual()
                        ? message.path("data").path("notificationId").asText()
                        : null;
        Answer answer = answerSend(exchange, current, projectId, message, token);
        // Record before answering, so a client that got its answer finds the call recorded.
        if (recording) {
            received.add(new ReceivedCall("fcm", token, ref, Instant.now(), answer.status()));
            messages.add(new FcmMessage(token, message, answer.status()));
            if (messageCount.incrementAndGet() > MAX_KEPT_MESSAGES) {
                messages.poll();
                messageCount.decrementAndGet();
            }
        }
        respond(exchange, answer.status(), answer.body(), answer.retryAfter());
    }

    private record Answer(int status, JsonNode body, Long retryAfter) {}

    /** The answer to a send. */
    private Answer answerSend(
            HttpExchange exchange,
            ProviderScript current,
            String projectId,
            JsonNode message,
            String token)
            throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null
                || !authorization.startsWith("Bearer ")
                || !accessTokens.contains(authorization.substring("Bearer ".length()).trim())) {
            return error(
                    exchange,
                    401,
                    "UNAUTHENTICATED",
                    null,
                    "Request had invalid authentication credentials. Expected OAuth 2 access token,"
                            + " login cookie or other valid authentication credential.",
                    null);
        }
        if (!PROJECT_ID.equals(projectId)) {
            return error(exchange, 404, "NOT_FOUND", null, "Requested entity was not found.", null);
        }
        if (message.isMissingNode() || !message.isObject()) {
            return error(
                    exchange,
                    400,
                    "INVALID_ARGUMENT",
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument.",
                    null);
        }
        if (token == null || token.isBlank()) {
            return error(
                    exchange,
                    400,
                    "INVALID_ARGUMENT",
                    "INVALID_ARGUMENT",
                    "Recipient of the message is not set.",
                    null);
        }
        int size = payloadSize(message);
        if (size > MAX_PAYLOAD_BYTES) {
            return error(
                    exchange,
                    400,
                    "INVALID_ARGUMENT",
                    "INVALID_ARGUMENT",
                    "Request contains an invalid argument. Message is too big: " + size + " bytes",
                    null);
        }
        JsonNode answer = current.answerFor("fcm", token);
        if (answer != null) {
            int status = answer.path("status").asInt(400);
            String errorCode =
                    answer.hasNonNull("errorCode")
                            ? answer.get("errorCode").asText()
                            : defaultErrorCode(status);
            String text =
                    answer.hasNonNull("message")
                            ? answer.get("message").asText()
                            : defaultMessage(errorCode);
            Long retryAfter =
                    answer.hasNonNull("retryAfter") ? answer.get("retryAfter").asLong() : null;
            return error(exchange, status, statusName(status), errorCode, text, retryAfter);
        }
        if (current.nextIsTransientFailure()) {
            return error(
                    exchange,
                    503,
                    "UNAVAILABLE",
                    "UNAVAILABLE",
                    "The service is currently unavailable.",
                    null);
        }
        ObjectNode ok = MAPPER.createObjectNode();
        ok.put("name", "projects/" + projectId + "/messages/" + messageIds.incrementAndGet());
        return new Answer(200, ok, null);
    }

    /** Bytes of what FCM counts against its limit: the notification and data parts. */
    private static int payloadSize(JsonNode message) throws IOException {
        ObjectNode counted = MAPPER.createObjectNode();
        for (String part : List.of("notification", "data")) {
            if (message.has(part)) {
                counted.set(part, message.get(part));
            }
        }
        for (String platform : List.of("android", "webpush")) {
            JsonNode config = message.path(platform);
            for (String part : List.of("notification", "data")) {
                if (config.has(part)) {
                    counted.set(platform + "." + part, config.get(part));
                }
            }
        }
        return MAPPER.writeValueAsBytes(counted).length;
    }

    private static Answer error(
            HttpExchange exchange,
            int status,
            String statusName,
            String fcmCode,
            String message,
            Long retryAfter) {
        ObjectNode error = MAPPER.createObjectNode();
        error.put("code", status);
        error.put("message", message);
        error.put("status", statusName);
        if (fcmCode != null) {
            ArrayNode details = error.putArray("details");
            ObjectNode detail = details.addObject();
            detail.put("@type", FCM_ERROR_TYPE);
            detail.put("errorCode", fcmCode);
        }
        ObjectNode root = MAPPER.createObjectNode();
        root.set("error", error);
        return new Answer(status, root, retryAfter);
    }

    private static void respondError(
            HttpExchange exchange, int status, String statusName, String fcmCode, String message)
            throws IOException {
        Answer answer = error(exchange, status, statusName, fcmCode, message, null);
        respond(exchange, answer.status(), answer.body(), null);
    }

    private void tokenError(HttpExchange exchange, String error, String description)
            throws IOException {
        ObjectNode answer = MAPPER.createObjectNode();
        answer.put("error", error);
        answer.put("error_description", description);
        respond(exchange, 400, answer, null);
    }

    private static void respond(HttpExchange exchange, int status, JsonNode json, Long retryAfter)
            throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(json);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        if (retryAfter != null) {
            exchange.getResponseHeaders().set("Retry-After", Long.toString(retryAfter));
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String defaultErrorCode(int status) {
        switch (status) {
            case 400:
                return "INVALID_ARGUMENT";
            case 401:
                return "THIRD_PARTY_AUTH_ERROR";
            case 403:
                return "SENDER_ID_MISMATCH";
            case 404:
                return "UNREGISTERED";
            case 429:
                return "QUOTA_EXCEEDED";
            case 503:
                return "UNAVAILABLE";
            default:
                return "INTERNAL";
        }
    }

    private static String statusName(int status) {
        switch (status) {
            case 400:
                return "INVALID_ARGUMENT";
            case 401:
                return "UNAUTHENTICATED";
            case 403:
                return "PERMISSION_DENIED";
            case 404:
                return "NOT_FOUND";
            case 429:
                return "RESOURCE_EXHAUSTED";
            case 503:
                return "UNAVAILABLE";
            default:
                return "INTERNAL";
        }
    }

    private static String defaultMessage(String errorCode) {
        switch (errorCode) {
            case "INVALID_ARGUMENT":
                return "The registration token is not a valid FCM registration token";
            case "UNREGISTERED":
                return "Requested entity was not found.";
            case "SENDER_ID_MISMATCH":
                return "SenderId mismatch";
            case "QUOTA_EXCEEDED":
                return "Quota exceeded for quota metric 'Send requests'.";
            case "THIRD_PARTY_AUTH_ERROR":
                return "Auth error from APNS or Web Push Service";
            case "UNAVAILABLE":
                return "The service is currently unavailable.";
            default:
                return "Internal error encountered.";
        }
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(
                        URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static byte[] readBody(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static void delay(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
