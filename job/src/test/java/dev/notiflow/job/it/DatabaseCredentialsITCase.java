package dev.notiflow.job.it;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;

import dev.notiflow.jdbc.JdbcConfigurationException;
import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.job.DeliveryTablesJob;
import dev.notiflow.job.JobOptions;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.serde.Json;
import dev.notiflow.testkit.kafka.KafkaExtension;
import dev.notiflow.testkit.kafka.LocalKafka;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code DeliveryTablesJob} against a PostgreSQL that checks passwords (scram-sha-256), with the
 * password passed as a deployment passes it ({@code jdbc.password-file}): the right one writes
 * rows; a wrong one fails the job for good within a minute, with a message naming {@code jdbc.url}
 * and the password file, although the restart strategy would restart it without end.
 */
class DatabaseCredentialsITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = TestJobs.miniCluster();
    @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    @TempDir Path dir;

    private JobClient job;

    @AfterEach
    void tearDown() throws Exception {
        TestJobs.cancel(job);
    }

    @Test
    void shouldWriteRowsWithTheRightPassword() throws Exception {
        LocalPostgres pg = PG.postgres();
        Configuration config = config("deliveries-right-password", "right");
        produceDeliveries(KAFKA.kafka(), "deliveries-right-password", "right-", 5);

        job = TestJobs.startTablesJob(config);

        awaitRows(pg, "right-%", 5, Duration.ofSeconds(60));
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void shouldFailWithinAMinuteAndForGoodWhenTheTaskManagersPasswordIsWrong() throws Exception {
        LocalPostgres pg = PG.postgres();
        Configuration config = config("deliveries-wrong-password", "wrong");
        produceDeliveries(KAFKA.kafka(), "deliveries-wrong-password", "wrong-", 3);
        // The client applies the migrations with the right password; the TaskManagers then read
        // another one from the same file (a secret mounted wrong, or rotated in between).
        Path passwordFile = Path.of(config.get(JdbcOptions.PASSWORD_FILE));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        DeliveryTablesJob.build(env, config);
        Files.writeString(passwordFile, "not-the-password\n");

        long start = System.nanoTime();
        job = env.executeAsync(DeliveryTablesJob.NAME);
        Throwable failure = awaitFailure(job, Duration.ofSeconds(60));

        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(60);
        assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.FAILED);
        Optional<JdbcConfigurationException> cause =
                ExceptionUtils.findThrowable(failure, JdbcConfigurationException.class);
        assertThat(cause).as("the job's failure cause").isPresent();
        assertThat(cause.get().sqlState()).isEqualTo("28P01");
        assertThat(cause.get().getMessage())
                .contains("jdbc.url=" + pg.jdbcUrl())
                .contains("jdbc.password-file=" + passwordFile)
                .contains("password authentication failed")
                .doesNotContain("not-the-password")
                .doesNotContain(pg.password());
        assertThat(count(pg, "wrong-%")).isZero();
    }

    @Test
    void shouldRefuseToStartWhenTheMigrationsCannotLogIn() throws Exception {
        LocalPostgres pg = PG.postgres();
        Configuration config = config("deliveries-no-start", "no-start");
        Path passwordFile = Path.of(config.get(JdbcOptions.PASSWORD_FILE));
        Files.writeString(passwordFile, "not-the-password\n");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);

        assertThatThrownBy(() -> DeliveryTablesJob.build(env, config))
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("jdbc.url=" + pg.jdbcUrl())
                .hasMessageContaining("jdbc.password-file=" + passwordFile)
                .hasMessageNotContaining("not-the-password");
    }

    /**
     * The tables job's configuration, as a deployment writes it: the testkit's jdbc keys, with the
     * password in a file of this test's own. The restart strategy would restart a failing job for
     * ever.
     */
    private Configuration config(String topic, String name) throws Exception {
        Configuration config =
                TestJobs.config(
                        KAFKA.kafka().bootstrapServers(), dir.resolve("checkpoints"), "unused");
        config.setString("restart-strategy.type", "exponential-delay");
        config.setString("restart-strategy.exponential-delay.initial-backoff", "200 ms");
        config.setString("restart-strategy.exponential-delay.max-backoff", "1 s");
        PG.jdbcOptions().forEach(config::setString);
        Path passwordFile = dir.resolve(name + "-password");
        Files.copy(PG.postgres().passwordFile(), passwordFile);
        config.set(JdbcOptions.PASSWORD_FILE, passwordFile.toString());
        config.set(JobOptions.TOPIC_DELIVERIES, topic);
        config.set(JobOptions.KAFKA_GROUP_ID, "credentials-it-" + name);
        KAFKA.kafka().createTopic(topic, 2, false);
        return config;
    }

    private static Throwable awaitFailure(JobClient job, Duration timeout) throws Exception {
        try {
            job.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e;
        }
        throw new AssertionError("the job finished instead of failing");
    }

    private static void produceDeliveries(LocalKafka kafka, String topic, String prefix, int n) {
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            String id = prefix + i;
            Delivery d =
                    new Delivery(
                            id,
                            "e-" + id,
                            "u-" + i,
                            "order.shipped",
                            "order",
                            Channel.EMAIL,
                            Provider.SMTP,
                            null,
                            null,
                            DeliveryStatus.SENT,
                            null,
                            null,
                            1,
                            Priority.NORMAL,
                            "msg-" + id,
                            now,
                            now.plusMillis(40),
                            now.plusMillis(60),
                            now.plusMillis(80));
            kafka.produce(topic, id, Json.toBytes(d));
        }
    }

    private static void awaitRows(LocalPostgres pg, String like, int expected, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int rows = count(pg, like);
        while (rows < expected && System.nanoTime() < deadline) {
            Thread.sleep(200);
            rows = count(pg, like);
        }
        assertThat(rows).as("rows written by the tables job").isEqualTo(expected);
    }

    private static int count(LocalPostgres pg, String like) throws Exception {
        try (Connection c = pg.connect();
                PreparedStatement s =
                        c.prepareStatement(
                                "SELECT count(*) FROM deliveries WHERE notification_id LIKE ?")) {
            s.setString(1, like);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
