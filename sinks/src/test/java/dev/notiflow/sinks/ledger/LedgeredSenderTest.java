package dev.notiflow.sinks.ledger;

import dev.notiflow.jdbc.JdbcConfigurationException;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The send ledger against a real PostgreSQL with the project's migrations applied. */
class LedgeredSenderTest {

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration SHORT_PAUSE = Duration.ofMillis(50);

    @TempDir Path dir;

    private final List<ChannelSender> opened = new ArrayList<>();
    private LocalPostgres postgres;
    private JdbcSettings settings;

    @BeforeEach
    void setUp() throws SQLException {
        postgres = PG.postgres();
        Migrations.apply(postgres.jdbcUrl(), postgres.user(), postgres.password());
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("TRUNCATE send_ledger");
        }
        settings =
                JdbcSettings.of(postgres.jdbcUrl(), postgres.user())
                        .withPasswordFile(postgres.passwordFile().toString());
    }

    @AfterEach
    void tearDown() {
        opened.forEach(ChannelSender::close);
    }

    @Test
    void shouldAnswerAReplayedSendFromTheLedgerWithoutCallingTheProvider() throws Exception {
        FakeProvider firstRun = new FakeProvider();
        LedgeredSender before = ledgered(firstRun, TIMEOUT, SHORT_PAUSE);
        SendResult first = send(before, "n-1");
        assertThat(first.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(first.providerMessageId()).isEqualTo("pm-n-1");
        assertThat(before.recorded()).isEqualTo(1);

        // A new sender, as after a restore, gets the replay of the same notification.
        FakeProvider afterRestore = new FakeProvider();
        LedgeredSender after = ledgered(afterRestore, TIMEOUT, SHORT_PAUSE);
        SendResult replay = send(after, "n-1");

        assertThat(replay.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(replay.providerMessageId()).isEqualTo("pm-n-1");
        assertThat(afterRestore.calls("n-1")).isZero();
        assertThat(after.replaysSkipped()).isEqualTo(1);
        assertThat(row("n-1")).isEqualTo("smtp|pm-n-1");

        // Another notification still reaches the provider.
        assertThat(send(after, "n-2").providerMessageId()).isEqualTo("pm-n-2");
        assertThat(afterRestore.calls("n-2")).isEqualTo(1);
    }

    @Test
    void shouldRememberAnAcceptedSendWithoutAProviderMessageId() throws Exception {
        FakeProvider provider = new FakeProvider().answer("n-1", SendResult.accepted(null));
        LedgeredSender sender = ledgered(provider, TIMEOUT, SHORT_PAUSE);
        send(sender, "n-1");

        SendResult replay = send(sender, "n-1");

        assertThat(replay.status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(replay.providerMessageId()).isNull();
        assertThat(provider.calls("n-1")).isEqualTo(1);
        assertThat(row("n-1")).isEqualTo("smtp|null");
    }

    @Test
    void shouldCallTheProviderAgainAfterARetryableAnswer() throws Exception {
        FakeProvider provider =
                new FakeProvider()
                        .answer("n-1", SendResult.retryable("PROVIDER_UNAVAILABLE", "503", null));
        LedgeredSender sender = ledgered(provider, TIMEOUT, SHORT_PAUSE);

        assertThat(send(sender, "n-1").status()).isEqualTo(SendStatus.RETRYABLE);
        assertThat(row("n-1")).isNull();
        assertThat(send(sender, "n-1").status()).isEqualTo(SendStatus.ACCEPTED);
        assertThat(send(sender, "n-1").status()).isEqualTo(SendStatus.ACCEPTED);

        assertThat(provider.calls("n-1")).isEqualTo(2);
        assertThat(sender.replaysSkipped()).isEqualTo(1);
    }

    @Test
    void shouldNotRecordARejectedSend() throws Exception {
        SendResult unregistered =
                SendResult.tokenDead("TOKEN_UNREGISTERED", "410 Unregistered", Instant.EPOCH);
        FakeProvider provider =
                new FakeProvider().answer("n-1", unregistered).answer("n-1", unregistered);
        LedgeredSender sender = ledgered(provider, TIMEOUT, SHORT_PAUSE);

        assertThat(send(sender, "n-1")).isEqualTo(unregistered);
        assertThat(send(sender, "n-1")).isEqualTo(unregistered);

        assertThat(provider.calls("n-1")).isEqualTo(2);
        assertThat(row("n-1")).isNull();
        assertThat(sender.recorded()).isZero();
    }

    @Test
    void shouldSendWithoutTheLedgerWhileTheDatabaseIsDownAndUseItAgainAfterwards()
            throws Exception {
        FakeProvider provider = new FakeProvider();
        LedgeredSender sender = ledgered(provider, TIMEOUT, SHORT_PAUSE);
        send(sender, "n-1");

        postgres.stop();
        try {
            SendResult whileDown = send(sender, "n-2");
            // Fails open: the ledger cannot tell, so even a recorded notification is sent.
            SendResult recordedButUnreachable = send(sender, "n-1");

            assertThat(whileDown.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(whileDown.providerMessageId()).isEqualTo("pm-n-2");
            assertThat(recordedButUnreachable.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(provider.calls("n-2")).isEqualTo(1);
            assertThat(provider.calls("n-1")).isEqualTo(2);
            assertThat(sender.ledgerFailures()).isPositive();
        } finally {
            postgres.startAgain();
        }

        Thread.sleep(SHORT_PAUSE.toMillis() * 2);
        send(sender, "n-3");
        assertThat(row("n-3")).isEqualTo("smtp|pm-n-3");
        assertThat(send(sender, "n-3").providerMessageId()).isEqualTo("pm-n-3");
        assertThat(provider.calls("n-3")).isEqualTo(1);
    }

    @Test
    void shouldSendWithoutTheLedgerWhenItAnswersTooSlowly() throws Exception {
        FakeProvider provider = new FakeProvider();
        LedgeredSender sender = ledgered(provider, Duration.ofMillis(300), SHORT_PAUSE);
        try (Connection locker = postgres.connect();
                Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE send_ledger IN ACCESS EXCLUSIVE MODE");

            long start = System.nanoTime();
            SendResult result = send(sender, "n-1");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(provider.calls("n-1")).isEqualTo(1);
            assertThat(sender.ledgerFailures()).isPositive();
            assertThat(millis).isLessThan(3_000);
            locker.rollback();
        }
    }

    @Test
    void shouldUseTheLedgerAgainRightAfterOneSlowStatementWithoutPausing() throws Exception {
        FakeProvider provider = new FakeProvider();
        // A pause as long as the test: had the slow statement paused the ledger, the replay
        // below would go to the provider again.
        LedgeredSender sender = ledgered(provider, Duration.ofMillis(300), Duration.ofMinutes(5));
        send(sender, "n-0");
        try (Connection locker = postgres.connect();
                Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("LOCK TABLE send_ledger IN ACCESS EXCLUSIVE MODE");
            assertThat(send(sender, "n-1").status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(sender.ledgerFailures()).isPositive();
            locker.rollback();
        }

        SendResult replay = send(sender, "n-0");

        assertThat(replay.providerMessageId()).isEqualTo("pm-n-0");
        assertThat(provider.calls("n-0")).as("the replay is answered by the ledger").isEqualTo(1);
        assertThat(sender.replaysSkipped()).isEqualTo(1);
    }

    @Test
    void shouldAnswerABurstOfReplaysFromTheLedgerEvenWhenTheyQueueLongerThanTheTimeout()
            throws Exception {
        int burst = LedgeredSender.QUEUE_CAPACITY - 1_000;
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute(
                    "INSERT INTO send_ledger (notification_id, provider, provider_message_id,"
                            + " sent_at) SELECT 'n-' || i, 'smtp', 'pm-n-' || i, now()"
                            + " FROM generate_series(0, "
                            + (burst - 1)
                            + ") AS i");
        }
        // As after a restore: a new sender gets every replay at once. Two connections take
        // seconds to drain the queue, while each lookup runs in far less than the timeout.
        FakeProvider afterRestore = new FakeProvider();
        LedgeredSender sender = ledgered(afterRestore, Duration.ofMillis(300), SHORT_PAUSE);
        List<CompletableFuture<SendResult>> replays = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            replays.add(sender.send(request("n-" + i)));
        }
        for (CompletableFuture<SendResult> replay : replays) {
            assertThat(replay.get(30, TimeUnit.SECONDS).status()).isEqualTo(SendStatus.ACCEPTED);
        }

        assertThat(sender.ledgerFailures()).isZero();
        assertThat(sender.replaysSkipped()).isEqualTo(burst);
        assertThat(afterRestore.totalCalls()).isZero();
    }

    @Test
    void shouldRecordEverySendItMadeWhenClosedOnAnInterruptedThread() throws Exception {
        // Flink closes the function of a failing task on an interrupted thread: the sends that
        // reached the provider must still be in the ledger, or they repeat after the restore.
        FakeProvider provider = new FakeProvider();
        LedgeredSender sender =
                new LedgeredSender(provider, new JdbcLedger(settings, 2), TIMEOUT, SHORT_PAUSE);
        List<CompletableFuture<SendResult>> sends = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            sends.add(sender.send(request("n-" + i)));
        }

        Thread.currentThread().interrupt();
        sender.close();
        assertThat(Thread.interrupted()).as("interrupt kept for the caller").isTrue();

        int accepted = 0;
        for (CompletableFuture<SendResult> send : sends) {
            SendResult result = send.get(10, TimeUnit.SECONDS);
            if (result.status() == SendStatus.ACCEPTED) {
                accepted++;
            } else {
                assertThat(result.reason()).isEqualTo(LedgeredSender.SENDER_CLOSED);
            }
        }
        assertThat(provider.totalCalls()).isEqualTo(accepted);
        assertThat(ledgerRows()).isEqualTo(accepted);
        assertThat(sender.ledgerFailures()).isZero();
    }

    @Test
    void shouldFailAtOpenWhenTheDatabaseRefusesThePassword() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong-password"), "not-the-password\n");
        JdbcSettings refused =
                JdbcSettings.of(postgres.jdbcUrl(), postgres.user())
                        .withPasswordFile(wrong.toString());
        FakeProvider provider = new FakeProvider();

        long start = System.nanoTime();
        assertThatThrownBy(
                        () ->
                                new LedgeredSender(
                                        provider, new JdbcLedger(refused, 2), TIMEOUT, SHORT_PAUSE))
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("jdbc.url=" + refused.url())
                .hasMessageContaining("jdbc.password-file=" + wrong)
                .hasMessageContaining("28P01")
                .hasMessageNotContaining("not-the-password");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
        assertThat(provider.closed).isTrue();
    }

    @Test
    void shouldStillOpenAndSendWithoutTheLedgerWhenTheDatabaseIsDownAtStart() throws Exception {
        postgres.stop();
        try {
            FakeProvider provider = new FakeProvider();
            LedgeredSender sender = ledgered(provider, TIMEOUT, SHORT_PAUSE);

            SendResult result = send(sender, "n-1");

            assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(provider.calls("n-1")).isEqualTo(1);
            assertThat(sender.ledgerFailures()).isPositive();
        } finally {
            postgres.startAgain();
        }
    }

    @Test
    void shouldBatchConcurrentSendsAndStillAnswerEachReplayFromTheLedger() throws Exception {
        int total = 4_000;
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            // Every other notification was accepted before the restore.
            s.execute(
                    "INSERT INTO send_ledger (notification_id, provider, provider_message_id,"
                            + " sent_at) SELECT 'n-' || i, 'smtp', 'before-' || i, now()"
                            + " FROM generate_series(0, "
                            + (total - 1)
                            + ", 2) AS i");
        }
        FakeProvider provider = new FakeProvider();
        JdbcLedger ledger = new JdbcLedger(settings, 2);
        LedgeredSender sender =
                new LedgeredSender(
                        provider,
                        ledger,
                        TIMEOUT,
                        SHORT_PAUSE,
                        new LedgeredSender.Batching(200, Duration.ofMillis(5)));
        opened.add(sender);
        List<CompletableFuture<SendResult>> sends = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            sends.add(sender.send(request("n-" + i)));
        }
        for (int i = 0; i < total; i++) {
            SendResult result = sends.get(i).get(30, TimeUnit.SECONDS);
            assertThat(result.status()).isEqualTo(SendStatus.ACCEPTED);
            assertThat(result.providerMessageId())
                    .as("n-" + i)
                    .isEqualTo(i % 2 == 0 ? "before-" + i : "pm-n-" + i);
            assertThat(provider.calls("n-" + i)).as("n-" + i).isEqualTo(i % 2 == 0 ? 0 : 1);
        }

        assertThat(sender.ledgerFailures()).isZero();
        assertThat(sender.replaysSkipped()).isEqualTo(total / 2);
        assertThat(sender.recorded()).isEqualTo(total / 2);
        assertThat(ledgerRows()).isEqualTo(total);
        assertThat(row("n-1")).isEqualTo("smtp|pm-n-1");
        assertThat(row("n-2")).isEqualTo("smtp|before-2");
        // 4,000 lookups and 2,000 writes, in batches of at most 200 calls.
        assertThat(ledger.statements()).isBetween(30L, 600L);
    }

    @Test
    void shouldKeepTheFirstRowOfANotificationNamedTwiceInOneBatch() throws Exception {
        try (JdbcLedger ledger = new JdbcLedger(settings, 1)) {
            int added =
                    ledger.recordAll(
                            List.of(
                                    new JdbcLedger.Row(
                                            "n-1", Provider.APNS, "first", Instant.now()),
                                    new JdbcLedger.Row("n-2", Provider.FCM, null, Instant.now()),
                                    new JdbcLedger.Row(
                                            "n-1", Provider.APNS, "second", Instant.now())));

            assertThat(added).isEqualTo(2);
            assertThat(ledger.findAll(List.of("n-1", "n-2", "n-3")))
                    .containsOnly(
                            Map.entry("n-1", new JdbcLedger.Entry("first")),
                            Map.entry("n-2", new JdbcLedger.Entry(null)));
            assertThat(row("n-2")).isEqualTo("fcm|null");
        }
    }

    @Test
    void shouldKeepTheFirstRowWhenANotificationIsRecordedTwice() throws Exception {
        try (JdbcLedger ledger = new JdbcLedger(settings, 1)) {
            assertThat(ledger.record("n-1", Provider.APNS, "first", Instant.now())).isTrue();
            assertThat(ledger.record("n-1", Provider.APNS, "second", Instant.now())).isFalse();
            assertThat(ledger.find("n-1")).isEqualTo(new JdbcLedger.Entry("first"));
            assertThat(ledger.find("n-2")).isNull();
        }
    }

    private int ledgerRows() throws SQLException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM send_ledger")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private LedgeredSender ledgered(FakeProvider provider, Duration timeout, Duration pause)
            throws Exception {
        LedgeredSender sender =
                new LedgeredSender(provider, new JdbcLedger(settings, 2), timeout, pause);
        opened.add(sender);
        // Both connections' opening statements done: a test that then locks the table must not
        // catch the second one still opening (it would wait out the 5 s query timeout and leave
        // one worker for both the lookup and the write).
        sender.awaitConnections(Duration.ofSeconds(10));
        return sender;
    }

    private static SendResult send(ChannelSender sender, String notificationId) throws Exception {
        return sender.send(request(notificationId)).get(10, TimeUnit.SECONDS);
    }

    static SendRequest request(String notificationId) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("e-1")
                .userId("u-1")
                .type("news.daily")
                .category("news")
                .channel(Channel.EMAIL)
                .provider(Provider.SMTP)
                .address("u1@example.com")
                .locale("en")
                .templateId("news_daily")
                .data(Map.of())
                .receivedAt(Instant.now())
                .build();
    }

    /** "provider|provider_message_id" of the ledger row, or null when there is none. */
    private String row(String notificationId) throws SQLException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery(
                                "SELECT provider, provider_message_id, sent_at FROM send_ledger"
                                        + " WHERE notification_id = '"
                                        + notificationId
                                        + "'")) {
            if (!rs.next()) {
                return null;
            }
            assertThat(rs.getTimestamp(3)).isNotNull();
            return rs.getString(1) + "|" + rs.getString(2);
        }
    }

    /**
     * A provider that counts calls per notification and answers from a script (then accepts with
     * message id {@code pm-<notificationId>}).
     */
    static final class FakeProvider implements ChannelSender {
        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        private final Map<String, Deque<SendResult>> script = new ConcurrentHashMap<>();

        FakeProvider answer(String notificationId, SendResult result) {
            script.computeIfAbsent(notificationId, k -> new ArrayDeque<>()).add(result);
            return this;
        }

        int calls(String notificationId) {
            AtomicInteger n = calls.get(notificationId);
            return n == null ? 0 : n.get();
        }

        int totalCalls() {
            return calls.values().stream().mapToInt(AtomicInteger::get).sum();
        }

        @Override
        public CompletableFuture<SendResult> send(SendRequest request) {
            String id = request.notificationId();
            calls.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            Deque<SendResult> answers = script.get(id);
            SendResult scripted;
            synchronized (this) {
                scripted = answers == null ? null : answers.poll();
            }
            return CompletableFuture.completedFuture(
                    scripted != null ? scripted : SendResult.accepted("pm-" + id));
        }

        volatile boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }
}
