package dev.notiflow.sinks.fcm;

import org.apache.flink.configuration.Configuration;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.notiflow.testkit.providers.fcm.FcmMessage;
import dev.notiflow.testkit.providers.fcm.MockFcmProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The FCM sender (firebase-admin) against the local FCM v1 mock, one row per FCM answer. */
class FcmSenderTest {

    private static final AtomicInteger TOKENS = new AtomicInteger();

    private static MockFcmProvider fcm;
    private static ChannelSender sender;

    @BeforeAll
    static void startProvider() {
        fcm = MockFcmProvider.start();
        sender = senderFor(fcm.senderConfig());
    }

    @AfterAll
    static void stopProvider() {
        if (sender != null) {
            sender.close();
        }
        if (fcm != null) {
            fcm.close();
        }
    }

    @BeforeEach
    void reset() {
        fcm.setScript(ProviderScript.acceptAll());
        fcm.clear();
    }

    @Test
    void shouldAcceptAnAndroidMessageWithHighPriorityAndTheNotificationId() {
        String token = newToken();

        SendResult result = send(request("n-android-1", token, Platform.ANDROID, Priority.HIGH));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(result.providerMessageId()).startsWith("projects/notiflow-local/messages/");
        assertThat(fcm.received())
                .extracting(
                        ReceivedCall::recipient,
                        ReceivedCall::notificationRef,
                        ReceivedCall::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(token, "n-android-1", 200));
        JsonNode message = fcm.receivedMessages().get(0).message();
        assertThat(message.path("android").path("priority").asText()).isEqualTo("high");
        assertThat(message.path("android").path("ttl").asText()).isEqualTo("86400s");
        assertThat(message.path("notification").path("title").asText()).isEqualTo("Shipped");
        assertThat(message.path("data").path("orderId").asText()).isEqualTo("123");
        assertThat(message.has("webpush")).isFalse();
        assertThat(fcm.tokensIssued()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void shouldSendNormalPriorityForNormalAndroidMessages() {
        assertThat(
                        send(request("n-android-2", newToken(), Platform.ANDROID, Priority.NORMAL))
                                .status())
                .isEqualTo(SendStatus.ACCEPTED);

        JsonNode message = fcm.receivedMessages().get(0).message();
        assertThat(message.path("android").path("priority").asText()).isEqualTo("normal");
    }

    @Test
    void shouldAcceptAWebTokenWithWebpushHeaders() {
        SendResult result = send(request("n-web-1", newToken(), Platform.WEB, Priority.HIGH));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        JsonNode message = fcm.receivedMessages().get(0).message();
        assertThat(message.path("webpush").path("headers").path("Urgency").asText())
                .isEqualTo("high");
        assertThat(message.path("webpush").path("headers").path("TTL").asText()).isEqualTo("86400");
        assertThat(message.has("android")).isFalse();
        assertThat(message.path("data").path("notificationId").asText()).isEqualTo("n-web-1");
    }

    @Test
    void shouldMarkTokenDeadOnInvalidArgumentAboutTheRegistrationToken() {
        String token = newToken();
        script(
                token,
                "{\"status\": 400, \"errorCode\": \"INVALID_ARGUMENT\","
                        + " \"message\": \"The registration token is not a valid FCM registration token\"}");
        Instant before = Instant.now();

        SendResult result = send(request("n-badtoken", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("BAD_DEVICE_TOKEN");
        assertThat(result.tokenInvalidatedAt()).isAfterOrEqualTo(before.minusSeconds(1));
        assertThat(result.detail()).startsWith("400 INVALID_ARGUMENT").doesNotContain(token);
    }

    @Test
    void shouldRejectOtherInvalidArgumentsAsInvalidRequestWithoutKillingTheToken() {
        String token = newToken();
        script(
                token,
                "{\"status\": 400, \"errorCode\": \"INVALID_ARGUMENT\","
                        + " \"message\": \"Invalid value at 'message.data[0].value'\"}");

        SendResult result = send(request("n-badarg", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("INVALID_REQUEST");
        assertThat(result.tokenDead()).isFalse();
        assertThat(result.detail()).isEqualTo("400 INVALID_ARGUMENT");
    }

    @Test
    void shouldMarkTokenDeadOnUnregistered() {
        String token = newToken();
        script(token, "{\"status\": 404, \"errorCode\": \"UNREGISTERED\"}");

        SendResult result = send(request("n-404", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("TOKEN_UNREGISTERED");
        assertThat(result.tokenDead()).isTrue();
        assertThat(result.detail()).isEqualTo("404 NOT_FOUND UNREGISTERED");
    }

    @Test
    void shouldRejectSenderIdMismatch() {
        String token = newToken();
        script(token, "{\"status\": 403, \"errorCode\": \"SENDER_ID_MISMATCH\"}");

        SendResult result = send(request("n-403", token));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("SENDER_ID_MISMATCH");
        assertThat(result.tokenDead()).isFalse();
    }

    @Test
    void shouldRetryQuotaExceededAfterTheRetryAfterHeader() {
        String token = newToken();
        script(token, "{\"status\": 429, \"errorCode\": \"QUOTA_EXCEEDED\", \"retryAfter\": 30}");

        SendResult result = send(request("n-429", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("RATE_LIMITED");
        assertThat(result.retryAfterMillis()).isEqualTo(30_000L);
        assertThat(fcm.received()).hasSize(1);
    }

    @Test
    void shouldRetryInternalErrorsAsProviderUnavailable() {
        String token = newToken();
        script(token, "{\"status\": 500, \"errorCode\": \"INTERNAL\"}");

        SendResult result = send(request("n-500", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.detail()).isEqualTo("500 INTERNAL");
        assertThat(fcm.received()).hasSize(1);
    }

    @Test
    void shouldReturnUnavailableWithRetryAfterAtOnceWhenTheServerAsksForMoreThanAMinute() {
        String token = newToken();
        script(token, "{\"status\": 503, \"errorCode\": \"UNAVAILABLE\", \"retryAfter\": 120}");

        SendResult result = send(request("n-503-long", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        assertThat(result.retryAfterMillis()).isEqualTo(120_000L);
        // firebase-admin does not retry when Retry-After exceeds its 60 s cap.
        assertThat(fcm.received()).hasSize(1);
    }

    @Test
    void shouldEndAsUnavailableAfterFirebaseAdminsOwnBoundedRetriesOf503() {
        String token = newToken();
        script(token, "{\"status\": 503, \"errorCode\": \"UNAVAILABLE\"}");

        SendResult result = send(request("n-503", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("PROVIDER_UNAVAILABLE");
        // One call plus firebase-admin's 4 retries: bounded, never more.
        assertThat(fcm.received()).hasSize(5).allMatch(call -> call.status() == 503);
    }

    @ParameterizedTest
    @CsvSource({"401, THIRD_PARTY_AUTH_ERROR"})
    void shouldReportCredentialsRejectedOnThirdPartyAuthError(int status, String errorCode) {
        String token = newToken();
        script(token, "{\"status\": " + status + ", \"errorCode\": \"" + errorCode + "\"}");

        SendResult result = send(request("n-401", token));

        assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(result.reason()).isEqualTo("CREDENTIALS_REJECTED");
    }

    @Test
    void shouldReportCredentialsRejectedWhenTheTokenEndpointRefusesTheServiceAccount()
            throws Exception {
        // The same account with another private key: its JWT signature does not verify.
        JsonNode account =
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(fcm.credentialsFile().toFile());
        java.security.KeyPairGenerator generator =
                java.security.KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String otherKey =
                dev.notiflow.testkit.providers.tls.LocalCertificate.toPem(
                        "PRIVATE KEY", generator.generateKeyPair().getPrivate().getEncoded());
        ((com.fasterxml.jackson.databind.node.ObjectNode) account).put("private_key", otherKey);
        Path forged = Files.createTempFile("forged-", ".json");
        Files.writeString(forged, account.toString());
        Map<String, String> conf = fcm.senderConfig();
        conf.put("fcm.credentials-file", forged.toString());

        try (ChannelSender forgedSender = senderFor(conf)) {
            SendResult result =
                    forgedSender.send(request("n-forged", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CREDENTIALS_REJECTED");
        } finally {
            Files.deleteIfExists(forged);
        }
        assertThat(fcm.received()).isEmpty();
    }

    @Test
    void shouldTimeOutWhenTheAnswerIsSlowerThanTheReadTimeout() throws Exception {
        Map<String, String> conf = fcm.senderConfig();
        conf.put("fcm.read-timeout", "300 ms");
        try (ChannelSender impatient = senderFor(conf)) {
            // Fetch an OAuth token first, so only the send meets the latency.
            assertThat(
                            impatient
                                    .send(request("n-warm", newToken()))
                                    .get(20, TimeUnit.SECONDS)
                                    .status())
                    .isEqualTo(SendStatus.ACCEPTED);
            fcm.setScript(ProviderScript.parse("{\"latencyMs\": 1500}"));

            SendResult result =
                    impatient.send(request("n-slow", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("TIMEOUT");
            assertThat(((FcmSender) impatient).inFlight()).isZero();
        }
    }

    @Test
    void shouldGiveUpAfterTheRequestTimeoutAndFreeTheSlot() throws Exception {
        Map<String, String> conf = fcm.senderConfig();
        conf.put("fcm.request-timeout", "400 ms");
        try (ChannelSender impatient = senderFor(conf)) {
            fcm.setScript(ProviderScript.parse("{\"latencyMs\": 2000}"));

            SendResult result =
                    impatient.send(request("n-stuck", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("TIMEOUT");
            assertThat(result.detail()).isEqualTo("no answer in 400 ms");
            assertThat(((FcmSender) impatient).inFlight()).isZero();
        }
    }

    @Test
    void shouldReportConnectionErrorWhenTheEndpointIsDown() throws Exception {
        int freePort;
        try (ServerSocket socket = new ServerSocket(0)) {
            freePort = socket.getLocalPort();
        }
        Map<String, String> conf = fcm.senderConfig();
        conf.put("fcm.endpoint", "http://127.0.0.1:" + freePort);

        try (ChannelSender down = senderFor(conf)) {
            SendResult result = down.send(request("n-down", newToken())).get(20, TimeUnit.SECONDS);

            assertThat(result.status()).isEqualTo(SendStatus.RETRYABLE);
            assertThat(result.reason()).isEqualTo("CONNECTION_ERROR");
        }
    }

    @Test
    void shouldRejectAHangulBodyOverFourKilobytesBeforeSending() {
        // 1,400 Hangul syllables: 1,400 chars, 4,200 UTF-8 bytes.
        SendResult result =
                send(
                        request(
                                "n-big-ko",
                                newToken(),
                                Platform.ANDROID,
                                Priority.HIGH,
                                "가".repeat(1400)));

        assertThat(result.status()).isEqualTo(SendStatus.REJECTED);
        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(fcm.received()).isEmpty();
    }

    @Test
    void shouldRejectAnEmojiBodyOverFourKilobytesBeforeSending() {
        // 1,100 emoji: 2,200 UTF-16 units, 4,400 UTF-8 bytes.
        SendResult result =
                send(
                        request(
                                "n-big-emoji",
                                newToken(),
                                Platform.WEB,
                                Priority.HIGH,
                                "🚚".repeat(1100)));

        assertThat(result.reason()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(fcm.received()).isEmpty();
    }

    @Test
    void shouldSendAHangulAndEmojiBodyJustUnderTheLimit() {
        String body = "배송".repeat(600) + "🎉".repeat(50);

        SendResult result =
                send(request("n-ko-ok", newToken(), Platform.ANDROID, Priority.HIGH, body));

        assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(
                        fcm.receivedMessages()
                                .get(0)
                                .message()
                                .path("notification")
                                .path("body")
                                .asText())
                .isEqualTo(body);
    }

    @Test
    void shouldAnswerSenderBusyBeyondMaxInFlight() throws Exception {
        Map<String, String> conf = fcm.senderConfig();
        conf.put("fcm.max-in-flight", "2");
        try (ChannelSender small = senderFor(conf)) {
            fcm.setScript(ProviderScript.parse("{\"latencyMs\": 600}"));
            List<CompletableFuture<SendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                futures.add(small.send(request("n-busy-" + i, newToken())));
            }

            assertThat(futures.get(2).get(1, TimeUnit.SECONDS).reason()).isEqualTo("SENDER_BUSY");
            assertThat(futures.get(0).get(20, TimeUnit.SECONDS).status())
                    .isEqualTo(SendStatus.ACCEPTED);
            assertThat(futures.get(1).get(20, TimeUnit.SECONDS).status())
                    .isEqualTo(SendStatus.ACCEPTED);
        }
    }

    @Test
    void shouldGiveEachSenderItsOwnFirebaseApp() {
        try (ChannelSender second = senderFor(fcm.senderConfig())) {
            assertThat(((FcmSender) second).appName()).isNotEqualTo(((FcmSender) sender).appName());
        }
    }

    @Test
    void shouldRecordTheMessageAsReceivedWithItsStatus() {
        String token = newToken();
        script(token, "{\"status\": 404}");

        send(request("n-rec", token));

        List<FcmMessage> messages = fcm.receivedMessages();
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).token()).isEqualTo(token);
        assertThat(messages.get(0).status()).isEqualTo(404);
    }

    private static ChannelSender senderFor(Map<String, String> conf) {
        return new FcmSenderFactory(FcmOptions.fromConfig(Configuration.fromMap(conf))).create();
    }

    private static SendResult send(SendRequest request) {
        try {
            return sender.send(request).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("send did not complete normally", e);
        }
    }

    private static void script(String token, String answer) {
        fcm.setScript(ProviderScript.parse("{\"fcm\": {\"" + token + "\": " + answer + "}}"));
    }

    private static String newToken() {
        return "fcm-token-" + TOKENS.incrementAndGet() + ":APA91b" + "x".repeat(40);
    }

    static SendRequest request(String notificationId, String token) {
        return request(notificationId, token, Platform.ANDROID, Priority.HIGH);
    }

    static SendRequest request(
            String notificationId, String token, Platform platform, Priority priority) {
        return request(notificationId, token, platform, priority, "Your order left");
    }

    static SendRequest request(
            String notificationId,
            String token,
            Platform platform,
            Priority priority,
            String body) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("event-1")
                .userId("u1")
                .type("order.shipped")
                .category("order")
                .channel(Channel.PUSH)
                .provider(Provider.FCM)
                .platform(platform)
                .token(token)
                .appId("com.example.app")
                .locale("ko-KR")
                .priority(priority)
                .templateId("order_shipped")
                .data(Map.of("orderId", "123"))
                .content(new Content("Shipped", body, null, null, null))
                .createdAt(Instant.now())
                .receivedAt(Instant.now())
                .build();
    }
}
