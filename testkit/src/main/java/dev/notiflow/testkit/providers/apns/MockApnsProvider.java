package dev.notiflow.testkit.providers.apns;

import com.eatthepath.pushy.apns.auth.ApnsVerificationKey;
import com.eatthepath.pushy.apns.auth.AuthenticationToken;
import com.eatthepath.pushy.apns.server.MockApnsServer;
import com.eatthepath.pushy.apns.server.MockApnsServerBuilder;
import com.eatthepath.pushy.apns.server.PushNotificationHandler;
import com.eatthepath.pushy.apns.server.RejectedNotificationException;
import com.eatthepath.pushy.apns.server.RejectionReason;
import com.eatthepath.pushy.apns.server.UnregisteredDeviceTokenException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.tls.LocalCertificate;
import io.netty.buffer.ByteBuf;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http2.Http2Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local APNs provider: Pushy's {@link MockApnsServer} over real TLS (HTTP/2) with a generated
 * certificate, answering per device token as a {@link ProviderScript} says, and authenticating
 * clients as Apple does.
 *
 * <p>Authentication, like APNs: a connection that presented a trusted client certificate
 * (certificate auth) needs no token; any other request needs a {@code authorization: bearer} JWT
 * signed (ES256) by a registered key, from one team per connection, issued less than an hour ago
 * ({@code 403 ExpiredProviderToken} otherwise), for a topic the key may use ({@code 403
 * InvalidProviderToken} otherwise; an empty topic set allows any topic). At start it generates one
 * signing key (written as a PKCS#8 {@code .p8} file) and one client certificate, so {@link
 * #senderConfig()} and {@link #senderConfigWithCertificate()} give a working client setup.
 *
 * <p>Script answers under {@code "apns"}: {@code {"status": 410, "reason": "Unregistered",
 * "timestamp": epochMillis}}; {@code reason} is Apple's reason text (BadDeviceToken,
 * DeviceTokenNotForTopic, ExpiredProviderToken, PayloadTooLarge, TooManyRequests,
 * ServiceUnavailable, …; {@code ExpiredToken} answers as Unregistered), or only a {@code status}
 * picks the usual reason for it. A transient failure answers {@code 503 ServiceUnavailable}. The
 * script's {@code latencyMs} delays everything the server sends (answers, and also the TLS
 * handshake) through a non-blocking proxy on {@link #port()}, so many answers wait at once, as on a
 * slow network; {@link #directPort()} skips it.
 *
 * <pre>{@code
 * try (MockApnsProvider apns = MockApnsProvider.start()) {
 *     apns.setScript(ProviderScript.parse("{\"apns\": {\"ab12\": {\"status\": 410}}}"));
 *     Map<String, String> conf = apns.senderConfig(); // apns.host, apns.port, keys, CA file
 *     ...
 *     assertThat(apns.received()).hasSize(1);
 * }
 * }</pre>
 *
 * <p>Thread-safe: the script may be replaced and {@link #received()} read while clients send.
 */
public final class MockApnsProvider implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MockApnsProvider.class);

    /** Team id of the signing key generated at start. */
    public static final String TEAM_ID = "NFTEAM0001";

    /** Key id of the signing key generated at start. */
    public static final String KEY_ID = "NFKEY00001";

    /** The topic (bundle id) the generated configuration names as default. */
    public static final String DEFAULT_TOPIC = "com.example.app";

    private static final Duration TOKEN_LIFETIME = Duration.ofHours(1);
    private static final int MAX_PAYLOAD_BYTES = 4096;
    private static final String DEVICE_PATH = "/3/device/";
    private static final int EVENT_LOOP_THREADS = 4;
    private static final int MAX_KEPT_NOTIFICATIONS = 10_000;
    private static final Map<RejectionReason, Integer> STATUS = statusByReason();

    private final MockApnsServer server;
    private final NioEventLoopGroup eventLoopGroup;
    private final int port;
    private final LatencyProxy proxy;
    private final LocalCertificate serverCertificate;
    private final LocalCertificate clientCertificate;
    private final Path signingKeyFile;
    private final Path clientCertificatePasswordFile;

    private final Map<String, ApnsVerificationKey> keysById = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> topicsByKeyId = new ConcurrentHashMap<>();
    private final Map<String, AuthenticationToken> verifiedTokens = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<ReceivedCall> received = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<ApnsNotification> notifications =
            new ConcurrentLinkedQueue<>();
    private final AtomicInteger notificationCount = new AtomicInteger();
    private volatile ProviderScript script;
    private volatile boolean recording = true;

    private MockApnsProvider(ProviderScript script) throws IOException, GeneralSecurityException {
        this.script = script;
        this.serverCertificate = LocalCertificate.shared("localhost");
        this.clientCertificate = LocalCertificate.shared("apns-client");
        this.clientCertificatePasswordFile = clientCertificate.writePasswordFile();

        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair signingPair = generator.generateKeyPair();
        Path keyDir = Files.createTempDirectory("notiflow-apns-");
        keyDir.toFile().deleteOnExit();
        this.signingKeyFile = keyDir.resolve("AuthKey_" + KEY_ID + ".p8");
        Files.writeString(
                signingKeyFile,
                LocalCertificate.toPem("PRIVATE KEY", signingPair.getPrivate().getEncoded()));
        signingKeyFile.toFile().deleteOnExit();
        registerSigningKey(KEY_ID, TEAM_ID, (ECPublicKey) signingPair.getPublic(), Set.of());

        this.eventLoopGroup = new NioEventLoopGroup(EVENT_LOOP_THREADS);
        this.server =
                new MockApnsServerBuilder()
                        .setServerCredentials(
                                new java.security.cert.X509Certificate[] {
                                    serverCertificate.certificate()
                                },
                                serverCertificate.privateKey(),
                                null)
                        .setTrustedClientCertificateChain(
                                clientCertificate.certificatePemFile().toFile())
                        .setEventLoopGroup(eventLoopGroup)
                        .setHandlerFactory(ScriptedHandler::new)
                        .build();
        int bound;
        try {
            bound = server.start(0).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            eventLoopGroup.shutdownGracefully();
            throw new IOException("interrupted while starting the mock APNs server", e);
        } catch (ExecutionException | TimeoutException e) {
            eventLoopGroup.shutdownGracefully();
            throw new IOException("mock APNs server did not start", e);
        }
        this.port = bound;
        try {
            this.proxy = new LatencyProxy(bound, () -> this.script.latencyMs());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdown();
            eventLoopGroup.shutdownGracefully();
            throw new IOException("interrupted while starting the latency proxy", e);
        }
        LOG.info("Mock APNs provider listening on port {} (direct port {})", proxy.port(), port);
    }

    /** Starts a provider that accepts everything, on a free port. */
    public static MockApnsProvider start() {
        return start(ProviderScript.acceptAll());
    }

    /** Starts a provider on a free port, with its own event loop group. */
    public static MockApnsProvider start(ProviderScript script) {
        try {
            return new MockApnsProvider(script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate the mock APNs keys", e);
        }
    }

    /**
     * Registers a token-auth signing key, as a team does in Apple's developer account.
     *
     * @param topics the topics the key may send to; empty allows any topic
     */
    public void registerSigningKey(
            String keyId, String teamId, ECPublicKey publicKey, Set<String> topics) {
        try {
            keysById.put(keyId, new ApnsVerificationKey(keyId, teamId, publicKey));
            topicsByKeyId.put(keyId, Set.copyOf(topics));
            verifiedTokens.clear();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a P-256 key", e);
        }
    }

    /** Revokes a signing key: later requests signed with it get 403 InvalidProviderToken. */
    public void revokeSigningKey(String keyId) {
        keysById.remove(keyId);
        topicsByKeyId.remove(keyId);
        verifiedTokens.clear();
    }

    public void setScript(ProviderScript script) {
        this.script = script;
    }

    public ProviderScript script() {
        return script;
    }

    /**
     * Whether each request is kept for {@link #received()} and {@link #receivedNotifications()}
     * (the default). A benchmark turns it off, so that millions of sends cost the server no memory
     * and no per-call bookkeeping; the answers stay the same.
     */
    public void setRecording(boolean recording) {
        this.recording = recording;
    }

    /** Every request received so far, in arrival order. */
    public List<ReceivedCall> received() {
        return new ArrayList<>(received);
    }

    /**
     * The last {@value #MAX_KEPT_NOTIFICATIONS} notifications received, with their headers and
     * payloads, in arrival order.
     */
    public List<ApnsNotification> receivedNotifications() {
        return new ArrayList<>(notifications);
    }

    public void clear() {
        received.clear();
        notifications.clear();
        notificationCount.set(0);
    }

    /**
     * The port clients should use: a proxy in front of the server that applies the script's {@code
     * latencyMs} to every answer without blocking anything.
     */
    public int port() {
        return proxy.port();
    }

    /** The server's own port, without the latency proxy: for raw-throughput benchmarks. */
    public int directPort() {
        return port;
    }

    /** The host name clients should use (the certificate names {@code localhost}). */
    public String host() {
        return "localhost";
    }

    /** The server certificate as PEM: what a client must trust. */
    public Path trustedCertificateFile() {
        return serverCertificate.certificatePemFile();
    }

    /** The generated signing key (PKCS#8 PEM, like Apple's {@code .p8} download). */
    public Path signingKeyFile() {
        return signingKeyFile;
    }

    /** The generated client certificate and key, as a PKCS#12 file. */
    public Path clientCertificateFile() {
        return clientCertificate.pkcs12File();
    }

    /** A file holding the password of {@link #clientCertificateFile()}. */
    public Path clientCertificatePasswordFile() {
        return clientCertificatePasswordFile;
    }

    /** The sender configuration for token auth with the generated signing key. */
    public Map<String, String> senderConfig() {
        Map<String, String> conf = endpointConfig();
        conf.put("apns.signing-key-file", signingKeyFile.toString());
        conf.put("apns.team-id", TEAM_ID);
        conf.put("apns.key-id", KEY_ID);
        return conf;
    }

    /** The sender configuration for certificate auth with the generated client certificate. */
    public Map<String, String> senderConfigWithCertificate() {
        Map<String, String> conf = endpointConfig();
        conf.put("apns.client-certificate-file", clientCertificate.pkcs12File().toString());
        conf.put("apns.client-certificate-password-file", clientCertificatePasswordFile.toString());
        return conf;
    }

    private Map<String, String> endpointConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("apns.host", host());
        conf.put("apns.port", Integer.toString(port()));
        conf.put("apns.trusted-certificate-file", trustedCertificateFile().toString());
        conf.put("apns.topic", DEFAULT_TOPIC);
        return conf;
    }

    @Override
    public void close() {
        proxy.close();
        try {
            server.shutdown().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Mock APNs server did not shut down cleanly", e);
        } finally {
            eventLoopGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5000);
        }
    }

    /** Apple's reason text for a rejection reason, e.g. {@code BadDeviceToken}. */
    static String reasonText(RejectionReason reason) {
        StringBuilder text = new StringBuilder();
        for (String word : reason.name().split("_")) {
            text.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return text.toString();
    }

    private static RejectionReason reasonFor(String text, int status) {
        if (text != null) {
            if (text.equals("ExpiredToken")) {
                return RejectionReason.UNREGISTERED;
            }
            for (RejectionReason reason : RejectionReason.values()) {
                if (reasonText(reason).equals(text)) {
                    return reason;
                }
            }
            throw new IllegalArgumentException("unknown APNs reason in provider script: " + text);
        }
        switch (status) {
            case 400:
                return RejectionReason.BAD_DEVICE_TOKEN;
            case 403:
                return RejectionReason.INVALID_PROVIDER_TOKEN;
            case 404:
                return RejectionReason.BAD_PATH;
            case 405:
                return RejectionReason.METHOD_NOT_ALLOWED;
            case 410:
                return RejectionReason.UNREGISTERED;
            case 413:
                return RejectionReason.PAYLOAD_TOO_LARGE;
            case 429:
                return RejectionReason.TOO_MANY_REQUESTS;
            case 500:
                return RejectionReason.INTERNAL_SERVER_ERROR;
            case 503:
                return RejectionReason.SERVICE_UNAVAILABLE;
            default:
                throw new IllegalArgumentException(
                        "provider script: APNs status " + status + " needs a reason");
        }
    }

    private static Map<RejectionReason, Integer> statusByReason() {
        Map<RejectionReason, Integer> status = new EnumMap<>(RejectionReason.class);
        for (RejectionReason reason : RejectionReason.values()) {
            status.put(reason, 400);
        }
        for (RejectionReason reason :
                List.of(
                        RejectionReason.BAD_CERTIFICATE,
                        RejectionReason.BAD_CERTIFICATE_ENVIRONMENT,
                        RejectionReason.EXPIRED_PROVIDER_TOKEN,
                        RejectionReason.FORBIDDEN,
                        RejectionReason.INVALID_PROVIDER_TOKEN,
                        RejectionReason.MISSING_PROVIDER_TOKEN)) {
            status.put(reason, 403);
        }
        status.put(RejectionReason.BAD_PATH, 404);
        status.put(RejectionReason.METHOD_NOT_ALLOWED, 405);
        status.put(RejectionReason.UNREGISTERED, 410);
        status.put(RejectionReason.PAYLOAD_TOO_LARGE, 413);
        status.put(RejectionReason.TOO_MANY_PROVIDER_TOKEN_UPDATES, 429);
        status.put(RejectionReason.TOO_MANY_REQUESTS, 429);
        status.put(RejectionReason.INTERNAL_SERVER_ERROR, 500);
        status.put(RejectionReason.SERVICE_UNAVAILABLE, 503);
        status.put(RejectionReason.SHUTDOWN, 503);
        return status;
    }

    private record Rejection(RejectionReason reason, Instant timestamp) {}

    /** One handler per TLS connection, as Pushy's server builds them. */
    private final class ScriptedHandler implements PushNotificationHandler {

        private final boolean certificateAuthenticated;
        private String teamId;

        ScriptedHandler(SSLSession session) {
            boolean peer;
            try {
                peer = session.getPeerCertificates().length > 0;
            } catch (SSLPeerUnverifiedException e) {
                peer = false;
            }
            this.certificateAuthenticated = peer;
        }

        @Override
        public void handlePushNotification(Http2Headers headers, ByteBuf payload)
                throws RejectedNotificationException {
            ProviderScript current = script;
            CharSequence path = headers.path();
            String token =
                    path != null && path.toString().startsWith(DEVICE_PATH)
                            ? path.toString().substring(DEVICE_PATH.length())
                            : null;
            CharSequence apnsId = headers.get("apns-id");
            String ref = apnsId == null ? null : apnsId.toString();
            Rejection rejection = answer(current, headers, payload, token);
            int status = rejection == null ? 200 : STATUS.get(rejection.reason());
            if (recording) {
                received.add(new ReceivedCall("apns", token, ref, Instant.now(), status));
                keep(notification(headers, payload, token, ref, status));
            }
            if (rejection != null) {
                throw rejection.reason() == RejectionReason.UNREGISTERED
                        ? new UnregisteredDeviceTokenException(rejection.timestamp())
                        : new RejectedNotificationException(rejection.reason());
            }
        }

        /** The rejection to answer with, or {@code null} to accept. */
        private Rejection answer(
                ProviderScript current, Http2Headers headers, ByteBuf payload, String token) {
            if (!"POST".contentEquals(headers.method())) {
                return new Rejection(RejectionReason.METHOD_NOT_ALLOWED, null);
            }
            if (token == null || token.isEmpty()) {
                return new Rejection(RejectionReason.MISSING_DEVICE_TOKEN, null);
            }
            CharSequence topic = headers.get("apns-topic");
            if (!certificateAuthenticated) {
                RejectionReason authFailure = verifyToken(headers, topic);
                if (authFailure != null) {
                    return new Rejection(authFailure, null);
                }
            }
            if (topic == null) {
                return new Rejection(RejectionReason.MISSING_TOPIC, null);
            }
            if (payload == null || payload.readableBytes() == 0) {
                return new Rejection(RejectionReason.PAYLOAD_EMPTY, null);
            }
            if (payload.readableBytes() > MAX_PAYLOAD_BYTES) {
                return new Rejection(RejectionReason.PAYLOAD_TOO_LARGE, null);
            }
            JsonNode answer = current.answerFor("apns", token);
            if (answer != null) {
                int status = answer.path("status").asInt(0);
                String text = answer.hasNonNull("reason") ? answer.get("reason").asText() : null;
                RejectionReason reason = reasonFor(text, status);
                Instant at =
                        answer.hasNonNull("timestamp")
                                ? Instant.ofEpochMilli(answer.get("timestamp").asLong())
                                : Instant.now();
                return new Rejection(reason, reason == RejectionReason.UNREGISTERED ? at : null);
            }
            if (current.nextIsTransientFailure()) {
                return new Rejection(RejectionReason.SERVICE_UNAVAILABLE, null);
            }
            return null;
        }

        private RejectionReason verifyToken(Http2Headers headers, CharSequence topic) {
            CharSequence authorization = headers.get("authorization");
            if (authorization == null || !authorization.toString().startsWith("bearer ")) {
                return RejectionReason.MISSING_PROVIDER_TOKEN;
            }
            String encoded = authorization.toString().substring("bearer ".length()).trim();
            AuthenticationToken token = verifiedTokens.get(encoded);
            if (token == null) {
                try {
                    token = new AuthenticationToken(encoded);
                } catch (RuntimeException e) {
                    return RejectionReason.INVALID_PROVIDER_TOKEN;
                }
                ApnsVerificationKey key = keysById.get(token.getKeyId());
                if (key == null
                        || !key.getTeamId().equals(token.getTeamId())
                        || !token.verifySignature(key)) {
                    return RejectionReason.INVALID_PROVIDER_TOKEN;
                }
                if (verifiedTokens.size() > 1000) {
                    verifiedTokens.clear();
                }
                verifiedTokens.put(encoded, token);
            }
            if (!keysById.containsKey(token.getKeyId())) {
                return RejectionReason.INVALID_PROVIDER_TOKEN;
            }
            // APNs allows one team per connection.
            if (teamId == null) {
                teamId = token.getTeamId();
            } else if (!teamId.equals(token.getTeamId())) {
                return RejectionReason.INVALID_PROVIDER_TOKEN;
            }
            if (Instant.now().isAfter(token.getIssuedAt().plus(TOKEN_LIFETIME))) {
                return RejectionReason.EXPIRED_PROVIDER_TOKEN;
            }
            Set<String> topics = topicsByKeyId.getOrDefault(token.getKeyId(), Set.of());
            if (topic != null && !topics.isEmpty() && !topics.contains(topic.toString())) {
                return RejectionReason.INVALID_PROVIDER_TOKEN;
            }
            return null;
        }

        private ApnsNotification notification(
                Http2Headers headers, ByteBuf payload, String token, String ref, int status) {
            CharSequence priority = headers.get("apns-priority");
            CharSequence expiration = headers.get("apns-expiration");
            Instant expiresAt = null;
            if (expiration != null && !"0".contentEquals(expiration)) {
                expiresAt = Instant.ofEpochSecond(Long.parseLong(expiration.toString()));
            }
            return new ApnsNotification(
                    token,
                    text(headers.get("apns-topic")),
                    priority == null ? null : Integer.valueOf(priority.toString()),
                    text(headers.get("apns-push-type")),
                    ref,
                    text(headers.get("apns-collapse-id")),
                    expiresAt,
                    payload == null ? "" : payload.toString(StandardCharsets.UTF_8),
                    status);
        }

        private void keep(ApnsNotification notification) {
            notifications.add(notification);
            if (notificationCount.incrementAndGet() > MAX_KEPT_NOTIFICATIONS) {
                notifications.poll();
                notificationCount.decrementAndGet();
            }
        }

        private String text(CharSequence value) {
            return value == null ? null : value.toString();
        }
    }
}
