package dev.notiflow.sinks.apns;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.apns.ApnsNotification;
import dev.notiflow.testkit.providers.apns.MockApnsProvider;
import dev.notiflow.testkit.providers.tls.LocalCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The APNs sender against Pushy's mock server over real TLS, one row per APNs answer. */
class ApnsSenderTest {

    private static final Instant UNREGISTERED_AT = Instant.parse("2026-11-20T08:15:30.123Z");
    private static final AtomicLong TOKENS = new AtomicLong(0xA000);

    private static MockApnsProvider apns;
    private static ChannelSender sender;

    @BeforeAll
    static void startProvider() {
        apns = MockApnsProvider.start();
        sender = senderFor(apns.senderConfig());
    }

    @AfterAll
    static void stopProvider() {
        if (sender != null) {
            sender.close();
        }
        if (apns != null) {
            apns.close();
        }
    }

    @BeforeEach
    void reset() {
        apns.setScript(ProviderScript.acceptAll());
        apns.clear();
    }

    @Test
    void shouldAcceptAndSendTheNotificationAsAnAlertWithAStableApnsId() {
        String token = newToken();
        SendRequest request =
                request("n-accept-1", token, Priority.HIGH, "Shipped", "Your order left");

        SendResult result = send(request);

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(result.providerMessageId()).isNotBlank();
        String expectedId = ApnsSender.apnsId("n-accept-1").toString();
        assertThat(apns.received())
                .containsExactly(
                        new ReceivedCall(
                                "apns", token, expectedId, apns.received().get(0).at(), 200));
        ApnsNotification sent = apns.receivedNotifications().get(0);
        assertThat(sent.topic()).isEqualTo("com.example.app");
        assertThat(sent.priority()).isEqualTo(10);
        assertThat(sent.pushType()).isEqualTo("alert");
        assertThat(sent.collapseId()).isNull();
        assertThat(sent.expiration())
                .isCloseTo(
                        Instant.now().plus(Duration.ofDays(1)),
                        within(1, java.time.temporal.ChronoUnit.MINUTES));
        assertThat(sent.payload())
                .contains("\"title\":\"Shipped\"")
                .contains("\"body\":\"Your order left\"")
                .contains("\"orderId\":\"123\"")
                .contains("\"notificationId\":\"n-accept-1\"");
        assertThat(ApnsSender.apnsId("n-accept-1")).isEqualTo(ApnsSender.apnsId("n-accept-1"));
    }

    @Test
    void shouldUseConservePowerPriorityAndTheDeviceAppIdForNormalPriority() {
        SendRequest request =
                request("n-normal-1", newToken(), Priority.NORMAL, "t", "b", "com.other.app");

        assertThat(send(request).status()).isEqualTo(SendStatus.ACCEPTED);

        ApnsNotification sent = apns.receivedNotifications().get(0);
        assertThat(sent.priority()).isEqualTo(5);
        assertThat(sent.topic()).isEqualTo("com.other.app");
    }

    @Test
    void shouldMarkTokenDeadOnBadDeviceToken() {
        String token = newToken();
        script(token, "{\"status\": 400, \"reason\": \"BadDeviceToken\"}");
        Instant before = Instant.now();

        SendResult result = send(request("n-bad-1", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("BAD_DEVICE_TOKEN");
        assertThat(result.detail()).isEqualTo("400 BadDeviceToken").doesNotContain(token);
        assertThat(result.tokenInvalidatedAt()).isAfterOrEqualTo(before.minusSeconds(1));
        assertThat(apns.received()).extracting(ReceivedCall::status).containsExactly(400);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "DeviceTokenNotForTopic",
                "BadTopic",
                "TopicDisallowed",
                "PayloadEmpty",
                "BadPriority"
            })
    void shouldRejectAsInvalidRequestWithoutKillingTheTokenOnOther400s(String reason) {
        String token = newToken();
        script(token, "{\"status\": 400, \"reason\": \"" + reason + "\"}");

        SendResult result = send(request("n-400-" + reason, token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_REQUEST");
        assertThat(result.detail()).isEqualTo("400 " + reason);
        assertThat(result.tokenDead()).isFalse();
    }

    @Test
    void shouldRetryWhenTheProviderTokenExpired() {
        String token = newToken();
        script(token, "{\"status\": 403, \"reason\": \"ExpiredProviderToken\"}");

        SendResult result = send(request("n-exp-1", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_TOKEN_EXPIRED");
        assertThat(result.detail()).isEqualTo("403 ExpiredProviderToken");
    }

    @ParameterizedTest
    @ValueSource(strings = {"InvalidProviderToken", "BadCertificate", "Forbidden"})
    void shouldReportCredentialsRejectedOnScripted403s(String reason) {
        String token = newToken();
        script(token, "{\"status\": 403, \"reason\": \"" + reason + "\"}");

        SendResult result = send(request("n-403-" + reason, token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("CREDENTIALS_REJECTED");
        assertThat(result.detail()).isEqualTo("403 " + reason);
    }

    @Test
    void shouldReportCredentialsRejectedWhenTheSigningKeyIsUnknownToApns() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair rogue = generator.generateKeyPair();
        Path keyFile = Files.createTempFile("rogue-", ".p8");
        Files.writeString(
                keyFile, LocalCertificate.toPem("PRIVATE KEY", rogue.getPrivate().getEncoded()));
        Map<String, String> conf = apns.senderConfig();
        conf.put("apns.signing-key-file", keyFile.toString());
        conf.put("apns.key-id", "ROGUEKEY01");

        try (ChannelSender rogueSender = senderFor(conf)) {
            SendResult result =
                    rogueSender.send(request("n-rogue-1", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CREDENTIALS_REJECTED");
            assertThat(result.detail()).isEqualTo("403 InvalidProviderToken");
        } finally {
            Files.deleteIfExists(keyFile);
        }
        assertThat(apns.received()).extracting(ReceivedCall::status).containsExactly(403);
    }

    @Test
    void shouldReportCredentialsRejectedForATopicTheKeyMayNotUse() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair scoped = generator.generateKeyPair();
        apns.registerSigningKey(
                "SCOPEDKEY1",
                "TEAMSCOPED",
                (java.security.interfaces.ECPublicKey) scoped.getPublic(),
                java.util.Set.of("com.allowed.app"));
        Path keyFile = Files.createTempFile("scoped-", ".p8");
        Files.writeString(
                keyFile, LocalCertificate.toPem("PRIVATE KEY", scoped.getPrivate().getEncoded()));
        Map<String, String> conf = apns.senderConfig();
        conf.put("apns.signing-key-file", keyFile.toString());
        conf.put("apns.key-id", "SCOPEDKEY1");
        conf.put("apns.team-id", "TEAMSCOPED");

        try (ChannelSender scopedSender = senderFor(conf)) {
            SendResult allowed =
                    scopedSender
                            .send(
                                    request(
                                            "n-scoped-ok",
                                            newToken(),
                                            Priority.HIGH,
                                            "t",
                                            "b",
                                            "com.allowed.app"))
                            .get(20, TimeUnit.SECONDS);
            SendResult other =
                    scopedSender
                            .send(
                                    request(
                                            "n-scoped-no",
                                            newToken(),
                                            Priority.HIGH,
                                            "t",
                                            "b",
                                            "com.other.app"))
                            .get(20, TimeUnit.SECONDS);

            assertThat(allowed.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(other.reason()).isEqualTo("CREDENTIALS_REJECTED");
            assertThat(other.detail()).isEqualTo("403 InvalidProviderToken");
        } finally {
            apns.revokeSigningKey("SCOPEDKEY1");
            Files.deleteIfExists(keyFile);
        }
    }

    @Test
    void shouldMarkTokenDeadAtTheUnregisteredTimestampOn410() {
        String token = newToken();
        script(
                token,
                "{\"status\": 410, \"reason\": \"Unregistered\", \"timestamp\": "
                        + UNREGISTERED_AT.toEpochMilli()
                        + "}");

        SendResult result = send(request("n-410-1", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("TOKEN_UNREGISTERED");
        assertThat(result.tokenInvalidatedAt()).isEqualTo(UNREGISTERED_AT);
        assertThat(result.detail()).isEqualTo("410 Unregistered");
    }

    @Test
    void shouldRejectPayloadTooLargeOn413() {
        String token = newToken();
        script(token, "{\"status\": 413, \"reason\": \"PayloadTooLarge\"}");

        SendResult result = send(request("n-413-1", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(result.tokenDead()).isFalse();
    }

    @Test
    void shouldRejectAHangulBodyOverFourKilobytesBeforeSending() {
        // 1,400 Hangul syllables are 1,400 chars but 4,200 UTF-8 bytes.
        String body = "가".repeat(1400);

        SendResult result = send(request("n-big-ko", newToken(), Priority.HIGH, "주문", body));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(result.detail()).contains("exceeds 4096");
        assertThat(apns.received()).isEmpty();
    }

    @Test
    void shouldRejectAnEmojiBodyOverFourKilobytesBeforeSending() {
        // 1,100 emoji are 2,200 UTF-16 units but 4,400 UTF-8 bytes.
        String body = "🚚".repeat(1100);

        SendResult result = send(request("n-big-emoji", newToken(), Priority.HIGH, "📦", body));

        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(apns.received()).isEmpty();
    }

    @Test
    void shouldSendAHangulAndEmojiBodyJustUnderTheLimit() {
        // 1,200 Hangul syllables (3,600 bytes) and 50 emoji (200 bytes) plus the JSON envelope.
        String body = "배송".repeat(600) + "🎉".repeat(50);

        SendResult result = send(request("n-ko-ok", newToken(), Priority.HIGH, "주문 완료", body));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(apns.receivedNotifications().get(0).payload()).contains(body);
    }

    @Test
    void shouldRetryWithRateLimitedOn429() {
        String token = newToken();
        script(token, "{\"status\": 429, \"reason\": \"TooManyRequests\"}");

        SendResult result = send(request("n-429-1", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("RATE_LIMITED");
        assertThat(result.detail()).isEqualTo("429 TooManyRequests");
    }

    @ParameterizedTest
    @CsvSource({"500, InternalServerError", "503, ServiceUnavailable", "503, Shutdown"})
    void shouldRetryAsProviderUnavailableOn5xx(int status, String reason) {
        String token = newToken();
        script(token, "{\"status\": " + status + ", \"reason\": \"" + reason + "\"}");

        SendResult result = send(request("n-5xx-" + reason, token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.detail()).isEqualTo(status + " " + reason);
    }

    @Test
    void shouldAnswerScriptedTransientFailuresWithServiceUnavailable() {
        apns.setScript(ProviderScript.parse("{\"transientFailureRate\": 1.0}"));

        SendResult result = send(request("n-transient-1", newToken()));

        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.detail()).isEqualTo("503 ServiceUnavailable");
    }

    @Test
    void shouldReportConnectionErrorWhenTheServerIsDown() throws Exception {
        int freePort;
        try (ServerSocket socket = new ServerSocket(0)) {
            freePort = socket.getLocalPort();
        }
        Map<String, String> conf = apns.senderConfig();
        conf.put("apns.port", Integer.toString(freePort));
        conf.put("apns.connect-timeout", "2 s");

        try (ChannelSender down = senderFor(conf)) {
            SendResult result =
                    down.send(request("n-down-1", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
        }
    }

    @Test
    void shouldReportConnectionErrorWhenTheServerCertificateIsNotTrusted() throws Exception {
        // Another self-signed certificate (also valid for localhost) than the server's.
        LocalCertificate stranger = LocalCertificate.shared("apns-client");
        Map<String, String> conf = apns.senderConfig();
        conf.put("apns.trusted-certificate-file", stranger.certificatePemFile().toString());

        try (ChannelSender untrusting = senderFor(conf)) {
            SendResult result =
                    untrusting.send(request("n-tls-1", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
        }
        assertThat(apns.received()).isEmpty();
    }

    @Test
    void shouldSendWithCertificateAuth() throws Exception {
        try (ChannelSender certificateSender = senderFor(apns.senderConfigWithCertificate())) {
            SendResult result =
                    certificateSender
                            .send(request("n-cert-1", newToken()))
                            .get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        }
        assertThat(apns.received()).extracting(ReceivedCall::status).containsExactly(200);
    }

    @Test
    void shouldRejectAsConfigurationErrorWithoutAnyTopic() throws Exception {
        Map<String, String> conf = apns.senderConfig();
        conf.remove("apns.topic");

        try (ChannelSender noTopic = senderFor(conf)) {
            SendResult result =
                    noTopic.send(request("n-notopic", newToken(), Priority.HIGH, "t", "b", null))
                            .get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
            assertThat(result.reason()).isEqualTo("CONFIGURATION_ERROR");
        }
        assertThat(apns.received()).isEmpty();
    }

    @Test
    void shouldMarkANonHexadecimalTokenDeadWithoutSending() {
        SendResult result = send(request("n-nonhex", "not-a-device-token"));

        assertThat(result.reason()).isEqualTo("BAD_DEVICE_TOKEN");
        assertThat(result.tokenDead()).isTrue();
        assertThat(apns.received()).isEmpty();
    }

    @Test
    void shouldAnswerSenderBusyBeyondMaxInFlight() throws Exception {
        apns.setScript(ProviderScript.parse("{\"latencyMs\": 600}"));
        Map<String, String> conf = apns.senderConfig();
        conf.put("apns.max-in-flight", "2");

        try (ChannelSender small = senderFor(conf)) {
            List<CompletableFuture<SendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                futures.add(small.send(request("n-busy-" + i, newToken())));
            }
            SendResult third = futures.get(2).get(1, TimeUnit.SECONDS);
            assertThat(third.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(third.reason()).isEqualTo("SENDER_BUSY");
            assertThat(futures.get(0).get(20, TimeUnit.SECONDS).status())
                    .isEqualTo(SendStatus.ACCEPTED);
            assertThat(futures.get(1).get(20, TimeUnit.SECONDS).status())
                    .isEqualTo(SendStatus.ACCEPTED);
            // The slots are free again once the answers came.
            apns.setScript(ProviderScript.acceptAll());
            assertThat(
                            small.send(request("n-busy-after", newToken()))
                                    .get(20, TimeUnit.SECONDS)
                                    .status())
                    .isEqualTo(SendStatus.ACCEPTED);
        }
    }

    @Test
    void shouldDelayManyAnswersConcurrentlyByTheScriptedLatency() throws Exception {
        // Warm the connections first, so the latency only meets the answers.
        assertThat(send(request("n-warm", newToken())).status()).isEqualTo(SendStatus.ACCEPTED);
        apns.setScript(ProviderScript.parse("{\"latencyMs\": 300}"));
        long start = System.nanoTime();
        List<CompletableFuture<SendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(sender.send(request("n-latency-" + i, newToken())));
        }
        for (CompletableFuture<SendResult> future : futures) {
            assertThat(future.get(20, TimeUnit.SECONDS).status()).isEqualTo(SendStatus.ACCEPTED);
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        // In sequence it would take 20 x 300 ms = 6 s.
        assertThat(elapsedMillis).isBetween(300L, 4000L);
    }

    @Test
    void shouldTimeOutASlowAnswerAndFreeTheSlot() throws Exception {
        apns.setScript(ProviderScript.parse("{\"latencyMs\": 1500}"));
        Map<String, String> conf = apns.senderConfig();
        conf.put("apns.request-timeout", "300 ms");
        conf.put("apns.max-in-flight", "1");

        try (ChannelSender impatient = senderFor(conf)) {
            SendResult result =
                    impatient.send(request("n-slow-1", newToken())).get(10, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("TIMEOUT");
            assertThat(result.detail()).isEqualTo("no answer in 300 ms");
            assertThat(((ApnsSender) impatient).inFlight()).isZero();
        }
    }

    private static ChannelSender senderFor(Map<String, String> conf) {
        return new ApnsSenderFactory(ApnsOptions.fromConfig(Configuration.fromMap(conf))).create();
    }

    private static SendResult send(SendRequest request) {
        try {
            return sender.send(request).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("send did not complete normally", e);
        }
    }

    private static void script(String token, String answer) {
        apns.setScript(ProviderScript.parse("{\"apns\": {\"" + token + "\": " + answer + "}}"));
    }

    private static String newToken() {
        return String.format("%064x", TOKENS.incrementAndGet());
    }

    static SendRequest request(String notificationId, String token) {
        return request(notificationId, token, Priority.HIGH, "Title", "Body");
    }

    static SendRequest request(
            String notificationId, String token, Priority priority, String title, String body) {
        return request(notificationId, token, priority, title, body, null);
    }

    static SendRequest request(
            String notificationId,
            String token,
            Priority priority,
            String title,
            String body,
            String appId) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("event-1")
                .userId("u1")
                .type("order.shipped")
                .category("order")
                .channel(Channel.PUSH)
                .provider(Provider.APNS)
                .platform(Platform.IOS)
                .token(token)
                .appId(appId)
                .locale("ko-KR")
                .priority(priority)
                .templateId("order_shipped")
                .data(Map.of("orderId", "123"))
                .content(new Content(title, body, null, null, null))
                .createdAt(Instant.now())
                .receivedAt(Instant.now())
                .build();
    }
}
