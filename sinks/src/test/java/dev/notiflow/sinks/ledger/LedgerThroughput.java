package dev.notiflow.sinks.ledger;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A measurement, not a test: sends per second through a {@link LedgeredSender} whose provider
 * accepts at once, against a real PostgreSQL ({@link LocalPostgres}), with the ledger unbatched
 * (one statement per lookup and per write) and batched; and, for comparison, the other way to keep
 * the ledger: each accepted send produced to a Kafka topic ({@link LocalKafka}, acks=all,
 * idempotent) and the topic read back into memory on recovery.
 *
 * <p>Each case first sends {@code --sends} new notifications (a lookup that finds nothing, the
 * send, a write), then the same notifications again (as after a restore: every lookup finds its row
 * and nothing is sent). At most {@code --in-flight} sends are under way at once, as with the async
 * operator's capacity ({@code send.apns.capacity} is 1000).
 *
 * <pre>{@code
 * mvn -B -o -q -pl sinks test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/sinks-cp.txt -Dmdep.includeScope=test
 * java -cp sinks/target/test-classes:sinks/target/classes:$(cat /tmp/sinks-cp.txt) \
 *     dev.notiflow.sinks.ledger.LedgerThroughput --sends 100000 --in-flight 1000
 * }</pre>
 */
public final class LedgerThroughput {

    private LedgerThroughput() {}

    public static void main(String[] args) throws Exception {
        int sends = intArg(args, "--sends", 100_000);
        int inFlight = intArg(args, "--in-flight", 1_000);
        int warmUp = Math.min(sends, 20_000);
        System.out.printf("sends=%d in-flight=%d (warm-up %d each)%n", sends, inFlight, warmUp);
        try (LocalPostgres postgres = LocalPostgres.start()) {
            Migrations.apply(postgres.jdbcUrl(), postgres.user(), postgres.password());
            JdbcSettings settings =
                    JdbcSettings.of(postgres.jdbcUrl(), postgres.user())
                            .withPasswordFile(postgres.passwordFile().toString());
            List<LedgeredSender.Batching> cases =
                    List.of(
                            LedgeredSender.Batching.NONE,
                            new LedgeredSender.Batching(500, Duration.ZERO),
                            new LedgeredSender.Batching(500, Duration.ofMillis(2)),
                            new LedgeredSender.Batching(2_000, Duration.ofMillis(5)));
            for (LedgeredSender.Batching batching : cases) {
                truncate(postgres);
                String label =
                        batching.equals(LedgeredSender.Batching.NONE)
                                ? "postgres unbatched"
                                : "postgres batch "
                                        + batching.size()
                                        + " linger "
                                        + batching.linger().toMillis()
                                        + " ms";
                try (LedgeredSender sender =
                        new LedgeredSender(
                                new AcceptAtOnce(), settings, Duration.ofSeconds(1), batching)) {
                    run(sender::send, "w-", warmUp, inFlight);
                    double fresh = run(sender::send, "n-", sends, inFlight);
                    double replay = run(sender::send, "n-", sends, inFlight);
                    System.out.printf(
                            "%-34s new sends %8.0f/s   replays %8.0f/s   ledger failures %d,"
                                    + " replays answered %d%n",
                            label, fresh, replay, sender.ledgerFailures(), sender.replaysSkipped());
                }
            }
        }
        try (LocalKafka kafka = LocalKafka.start()) {
            kafka(kafka, sends, inFlight, warmUp);
        }
    }

    /**
     * Sends {@code count} requests with ids {@code prefix + i}, at most {@code inFlight} at once.
     */
    private static double run(
            Function<SendRequest, CompletableFuture<SendResult>> send,
            String prefix,
            int count,
            int inFlight)
            throws InterruptedException {
        Semaphore slots = new Semaphore(inFlight);
        AtomicLong notAccepted = new AtomicLong();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            slots.acquire();
            send.apply(LedgeredSenderTest.request(prefix + i))
                    .whenComplete(
                            (r, e) -> {
                                if (e != null || r.status() != SendStatus.ACCEPTED) {
                                    notAccepted.incrementAndGet();
                                }
                                slots.release();
                            });
        }
        slots.acquire(inFlight);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (notAccepted.get() > 0) {
            System.out.println("  (" + notAccepted.get() + " sends not accepted)");
        }
        return count / seconds;
    }

    /**
     * The Kafka alternative: after the provider accepts, the send is produced to a topic, and its
     * answer waits for the broker's acknowledgement (as the insert's does); on recovery a task
     * reads the whole topic into a map and answers lookups from it.
     */
    private static void kafka(LocalKafka kafka, int sends, int inFlight, int warmUp)
            throws Exception {
        String topic = "accepted-sends";
        kafka.createTopic(topic, 1, true);
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        AcceptAtOnce provider = new AcceptAtOnce();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            Function<SendRequest, CompletableFuture<SendResult>> send =
                    request ->
                            provider.send(request)
                                    .thenCompose(
                                            result -> {
                                                CompletableFuture<SendResult> acked =
                                                        new CompletableFuture<>();
                                                producer.send(
                                                        new ProducerRecord<>(
                                                                topic,
                                                                request.notificationId(),
                                                                result.providerMessageId()),
                                                        (m, e) -> {
                                                            if (e != null) {
                                                                acked.completeExceptionally(e);
                                                            } else {
                                                                acked.complete(result);
                                                            }
                                                        });
                                                return acked;
                                            });
            run(send, "w-", warmUp, inFlight);
            double fresh = run(send, "n-", sends, inFlight);
            System.out.printf("%-34s new sends %8.0f/s%n", "kafka topic (acks=all)", fresh);
        }
        Properties c = kafka.clientProperties();
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long expected = warmUp + (long) sends;
        long start = System.nanoTime();
        Map<String, String> accepted = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    accepted.put(r.key(), r.value());
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "%-34s read back %d of %d accepted sends in %.2f s (%.0f/s)%n",
                "kafka topic recovery",
                accepted.size(),
                expected,
                seconds,
                accepted.size() / seconds);
    }

    private static void truncate(LocalPostgres postgres) throws SQLException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("TRUNCATE send_ledger");
        }
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    /** A provider that accepts every send at once. */
    private static final class AcceptAtOnce implements ChannelSender {
        @Override
        public CompletableFuture<SendResult> send(SendRequest request) {
            return CompletableFuture.completedFuture(
                    SendResult.accepted("pm-" + request.notificationId()));
        }

        @Override
        public void close() {}
    }
}
