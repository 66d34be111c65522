package dev.notiflow.testkit.providers.twilio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local Twilio Messages API (REST, HTTP/1.1, JDK {@code HttpServer}) that the real twilio-java
 * client talks to, with Twilio's own error format.
 *
 * <p>It serves {@code POST /2010-04-01/Accounts/{AccountSid}/Messages.json} with form fields {@code
 * To}, {@code From} or {@code MessagingServiceSid}, and {@code Body}, checks HTTP basic auth (the
 * account SID and auth token, or an API key SID and secret: anything else is 401 with code 20003)
 * and answers 201 with a Message resource ({@code sid "SM…"}, {@code status "queued"}, {@code
 * num_segments} …). Per recipient the {@link ProviderScript} may answer an error in Twilio's
 * format, e.g. {@code "sms": {"+15005550001": {"status": 400, "code": 21211}}} gives {@code
 * {"code": 21211, "message": "…", "more_info": "…", "status": 400}}; optional {@code "retryAfter"}
 * seconds adds a {@code Retry-After} header. A scripted transient failure answers 503 (code 20503).
 * {@code latencyMs} delays each answer on a scheduler, so the accept loop and the handler threads
 * never sleep.
 *
 * <pre>{@code
 * try (MockTwilioServer twilio = MockTwilioServer.start()) {
 *     Configuration conf = Configuration.fromMap(twilio.senderConfig());
 *     // build the SMS sender from conf, send, then assert on twilio.received()
 * }
 * }</pre>
 *
 * <p>Thread-safe; {@link #setScript} takes effect for the next request.
 */
public final class MockTwilioServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MockTwilioServer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern MESSAGES_PATH =
            Pattern.compile("^/2010-04-01/Accounts/([^/]+)/Messages\\.json$");
    private static final DateTimeFormatter RFC_2822 =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US)
                    .withZone(ZoneOffset.UTC);
    private static final String GSM_BASIC =
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                    + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String GSM_EXTENSION = "\f^{}\\[~]|€";

    /** A sender number that the mock accepts as {@code From}. */
    public static final String DEFAULT_FROM = "+15005550006";

    private final HttpServer server;
    private final ExecutorService handlers;
    private final ScheduledExecutorService delays;
    private final String accountSid;
    private final String authToken;
    private final String apiKeySid;
    private final String apiKeySecret;
    private final Path secretDir;
    private final List<ReceivedCall> received = new CopyOnWriteArrayList<>();
    private final List<SmsMessage> messages = new CopyOnWriteArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private volatile ProviderScript script;

    private MockTwilioServer(ProviderScript script) throws IOException {
        this.script = script;
        this.accountSid = "AC" + hex32();
        this.authToken = hex32();
        this.apiKeySid = "SK" + hex32();
        this.apiKeySecret = hex32();
        this.secretDir = Files.createTempDirectory("mock-twilio");
        Files.writeString(secretDir.resolve("auth-token"), authToken);
        Files.writeString(secretDir.resolve("api-key-secret"), apiKeySecret);
        Files.writeString(secretDir.resolve("wrong-secret"), "0".repeat(32));
        this.server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        this.handlers = Executors.newFixedThreadPool(8, daemon("mock-twilio-http"));
        this.delays = Executors.newSingleThreadScheduledExecutor(daemon("mock-twilio-delay"));
        server.setExecutor(handlers);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("Mock Twilio listening on {}", baseUrl());
    }

    /** Starts a mock that accepts every message. */
    public static MockTwilioServer start() throws IOException {
        return start(ProviderScript.acceptAll());
    }

    /** Starts a mock that answers by the script. */
    public static MockTwilioServer start(ProviderScript script) throws IOException {
        return new MockTwilioServer(script);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The base URL the SMS sender's {@code sms.base-url} points at, e.g. http://127.0.0.1:PORT. */
    public String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + port();
    }

    public String accountSid() {
        return accountSid;
    }

    public String apiKeySid() {
        return apiKeySid;
    }

    /** A file holding the account's auth token, for {@code sms.secret-file}. */
    public Path authTokenFile() {
        return secretDir.resolve("auth-token");
    }

    /** A file holding the API key's secret, for {@code sms.secret-file} with an API key SID. */
    public Path apiKeySecretFile() {
        return secretDir.resolve("api-key-secret");
    }

    /** A file holding a secret this mock rejects (401, code 20003). */
    public Path wrongSecretFile() {
        return secretDir.resolve("wrong-secret");
    }

    /**
     * The configuration entries that point the SMS sender at this mock with the account SID and
     * auth token, sending from {@link #DEFAULT_FROM}.
     */
    public Map<String, String> senderConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("sms.base-url", baseUrl());
        conf.put("sms.account-sid", accountSid);
        conf.put("sms.secret-file", authTokenFile().toString());
        conf.put("sms.from", DEFAULT_FROM);
        return conf;
    }

    public void setScript(ProviderScript script) {
        this.script = script;
    }

    /** Every request so far (recipient, body as {@code notificationRef}, answered status). */
    public List<ReceivedCall> received() {
        return new ArrayList<>(received);
    }

    /**
     * One message request as received, with the message SID answered ({@code null} when the answer
     * was an error), so a local run can show what each recipient got.
     *
     * @param to the {@code To} number
     * @param body the message text as received
     * @param sid the SID of the created message, or {@code null}
     * @param status the HTTP status answered
     */
    public record SmsMessage(String to, String body, String sid, int status) {}

    /** Every message request received, in order. */
    public List<SmsMessage> receivedMessages() {
        return new ArrayList<>(messages);
    }

    public void clear() {
        received.clear();
        messages.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        delays.shutdownNow();
        handlers.shutdownNow();
        try {
            for (String name : new String[] {"auth-token", "api-key-secret", "wrong-secret"}) {
                Files.deleteIfExists(secretDir.resolve(name));
            }
            Files.deleteIfExists(secretDir);
        } catch (IOException e) {
            LOG.debug("Could not delete the mock's secret files", e);
        }
    }

    private void handle(HttpExchange exchange) {
        try {
            Answer answer = answer(exchange);
            long latency = script.latencyMs();
            if (latency > 0) {
                delays.schedule(() -> respond(exchange, answer), latency, TimeUnit.MILLISECONDS);
            } else {
                respond(exchange, answer);
            }
        } catch (RuntimeException | IOException e) {
            LOG.warn("Mock Twilio failed to handle a request", e);
            respond(exchange, error(500, 20500, "Internal Server Error", null));
        }
    }

    private Answer answer(HttpExchange exchange) throws IOException {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = MESSAGES_PATH.matcher(exchange.getRequestURI().getRawPath());
        if (!m.matches()) {
            return error(404, 20404, "The requested resource was not found", null);
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            return error(405, 20004, "Method not allowed", null);
        }
        if (!authorized(exchange.getRequestHeaders().getFirst("Authorization"), m.group(1))) {
            return error(401, 20003, "Authenticate", null);
        }
        Map<String, String> form = parseForm(body);
        String to = form.get("To");
        String from = form.get("From");
        String service = form.get("MessagingServiceSid");
        String text = form.get("Body");
        if (to == null || to.isEmpty()) {
            return error(400, 21604, "A 'To' phone number is required.", null);
        }
        if (!to.matches("\\+[1-9]\\d{1,14}")) {
            return recorded(
                    to,
                    text,
                    error(400, 21211, "The 'To' number is not a valid phone number.", null));
        }
        if ((from == null || from.isEmpty()) && (service == null || service.isEmpty())) {
            return error(
                    400, 21603, "A 'From' phone number or MessagingServiceSid is required.", null);
        }
        if (text == null || text.isEmpty()) {
            return error(400, 21602, "Message body is required.", null);
        }
        ProviderScript current = script;
        Answer answer;
        JsonNode scripted = current.answerFor("sms", to);
        if (scripted != null && scriptedStatus(scripted) >= 300) {
            answer = scriptedError(scripted);
        } else if (current.nextIsTransientFailure()) {
            answer = error(503, 20503, "Service Unavailable", null);
        } else {
            answer = created(m.group(1), to, from, service, text);
        }
        return recorded(to, text, answer);
    }

    private Answer recorded(String to, String text, Answer answer) {
        received.add(new ReceivedCall("sms", to, text, Instant.now(), answer.status));
        String sid = null;
        if (answer.status < 300 && answer.body != null) {
            try {
                sid = MAPPER.readTree(answer.body).path("sid").asText(null);
            } catch (IOException notJson) {
                // no SID to record
            }
        }
        messages.add(new SmsMessage(to, text, sid, answer.status));
        return answer;
    }

    private boolean authorized(String header, String pathAccountSid) {
        if (header == null || !header.startsWith("Basic ") || !accountSid.equals(pathAccountSid)) {
            return false;
        }
        String decoded;
        try {
            decoded =
                    new String(
                            Base64.getDecoder().decode(header.substring(6).trim()),
                            StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        return (user.equals(accountSid) && password.equals(authToken))
                || (user.equals(apiKeySid) && password.equals(apiKeySecret));
    }

    private static int scriptedStatus(JsonNode scripted) {
        if (scripted.has("status")) {
            return scripted.get("status").asInt();
        }
        // A bare error code, e.g. {"code": 21610}, is a 400 like most of Twilio's.
        return scripted.has("code") ? 400 : 201;
    }

    private static Answer scriptedError(JsonNode scripted) {
        int status = scriptedStatus(scripted);
        int defaultCode =
                status == 429 ? 20429 : status == 401 ? 20003 : status >= 500 ? 20500 : 21211;
        int code = scripted.path("code").asInt(defaultCode);
        String message = scripted.path("message").asText("Scripted error " + code);
        Long retryAfter = scripted.has("retryAfter") ? scripted.get("retryAfter").asLong() : null;
        return error(status, code, message, retryAfter);
    }

    private Answer created(String account, String to, String from, String service, String text) {
        String now = RFC_2822.format(Instant.now());
        ObjectNode json = MAPPER.createObjectNode();
        String sid = "SM" + String.format("%032x", sequence.incrementAndGet());
        json.put("account_sid", account);
        json.put("api_version", "2010-04-01");
        json.put("body", text);
        json.put("date_created", now);
        json.putNull("date_sent");
        json.put("date_updated", now);
        json.put("direction", "outbound-api");
        json.putNull("error_code");
        json.putNull("error_message");
        if (from != null && !from.isEmpty()) {
            json.put("from", from);
        } else {
            json.putNull("from");
        }
        if (service != null && !service.isEmpty()) {
            json.put("messaging_service_sid", service);
        } else {
            json.putNull("messaging_service_sid");
        }
        json.put("num_media", "0");
        json.put("num_segments", String.valueOf(segments(text)));
        json.putNull("price");
        json.put("price_unit", "USD");
        json.put("sid", sid);
        json.put("status", from != null && !from.isEmpty() ? "queued" : "accepted");
        ObjectNode uris = json.putObject("subresource_uris");
        String uri = "/2010-04-01/Accounts/" + account + "/Messages/" + sid;
        uris.put("media", uri + "/Media.json");
        json.put("to", to);
        json.put("uri", uri + ".json");
        return new Answer(201, json.toString(), null);
    }

    private static Answer error(int status, int code, String message, Long retryAfterSeconds) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("code", code);
        json.put("message", message);
        json.put("more_info", "https://www.twilio.com/docs/errors/" + code);
        json.put("status", status);
        return new Answer(status, json.toString(), retryAfterSeconds);
    }

    private static void respond(HttpExchange exchange, Answer answer) {
        try (exchange) {
            byte[] bytes = answer.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            if (answer.retryAfterSeconds != null) {
                exchange.getResponseHeaders()
                        .set("Retry-After", String.valueOf(answer.retryAfterSeconds));
            }
            exchange.getResponseHeaders().set("Twilio-Request-Id", "RQ" + hex32());
            exchange.sendResponseHeaders(answer.status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            LOG.debug("Mock Twilio could not write a response", e);
        }
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new HashMap<>();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            form.put(
                    URLDecoder.decode(key, StandardCharsets.UTF_8),
                    URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return form;
    }

    /** Segments as Twilio reports them: GSM-7 160/153, otherwise UCS-2 70/67 UTF-16 units. */
    static int segments(String text) {
        boolean ucs2 = false;
        int septets = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (GSM_EXTENSION.indexOf(c) >= 0) {
                septets += 2;
            } else if (GSM_BASIC.indexOf(c) >= 0) {
                septets++;
            } else {
                ucs2 = true;
            }
        }
        int units = ucs2 ? text.length() : septets;
        int single = ucs2 ? 70 : 160;
        int part = ucs2 ? 67 : 153;
        return units <= single ? 1 : (units + part - 1) / part;
    }

    private static String hex32() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final class Answer {
        final int status;
        final String body;
        final Long retryAfterSeconds;

        Answer(int status, String body, Long retryAfterSeconds) {
            this.status = status;
            this.body = body;
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }
}
