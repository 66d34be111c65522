package dev.notiflow.job.analytics;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.testkit.postgres.LocalPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Databases, Flink settings and delivery records shared by the analytics tests. */
final class AnalyticsTestSupport {

    private AnalyticsTestSupport() {}

    /** The MiniCluster of a test class: 1 TaskManager with 2 slots, no Kryo, explicit uids. */
    static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setConfiguration(flinkConfig())
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(2)
                        .build());
    }

    static Configuration flinkConfig() {
        Configuration c = new Configuration();
        c.setString("pipeline.generic-types", "false");
        c.setString("pipeline.auto-generate-uids", "false");
        c.setString("restart-strategy.type", "none");
        return c;
    }

    static StreamExecutionEnvironment env(int parallelism) {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(flinkConfig());
        env.setParallelism(parallelism);
        return env;
    }

    /**
     * A fresh database with the migrations applied, and settings that read its password from a
     * file, as a deployment would.
     */
    static JdbcSettings freshDatabase(LocalPostgres pg, String name, Path dir) throws Exception {
        String url;
        if (pg.isExternal()) {
            url = pg.jdbcUrl();
            Migrations.apply(url, pg.user(), pg.password());
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement()) {
                s.execute("TRUNCATE deliveries, delivery_metrics_minute");
            }
        } else {
            url = pg.createDatabase(name);
            try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA public CASCADE");
                s.execute("CREATE SCHEMA public");
            }
            Migrations.apply(url, pg.user(), pg.password());
        }
        Path passwordFile = dir.resolve("jdbc-password");
        try {
            Files.writeString(passwordFile, pg.password() + "\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return JdbcSettings.of(url, pg.user())
                .withPasswordFile(passwordFile.toString())
                .withBatch(7, java.time.Duration.ofMillis(200))
                .withMaxRetries(1);
    }

    static Connection connect(JdbcSettings settings) throws SQLException {
        return DriverManager.getConnection(
                settings.url(), settings.user(), settings.resolvePassword());
    }

    /** Rows of a query as column-name maps, in the query's order. */
    static List<Map<String, Object>> rows(JdbcSettings settings, String sql, Object... params)
            throws SQLException {
        try (Connection c = connect(settings);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i), rs.getObject(i));
                    }
                    out.add(row);
                }
            }
            return out;
        }
    }

    /** Every row of {@code deliveries} read back into the model, ordered by id. */
    static List<Delivery> readDeliveries(JdbcSettings settings) throws SQLException {
        List<Delivery> out = new ArrayList<>();
        try (Connection c = connect(settings);
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT * FROM deliveries ORDER BY notification_id")) {
            while (rs.next()) {
                out.add(
                        new Delivery(
                                rs.getString("notification_id"),
                                rs.getString("event_id"),
                                rs.getString("user_id"),
                                rs.getString("type"),
                                rs.getString("category"),
                                Channel.fromWire(rs.getString("channel")),
                                Provider.fromWire(rs.getString("provider")),
                                Platform.fromWire(rs.getString("platform")),
                                rs.getString("device"),
                                DeliveryStatus.valueOf(rs.getString("status")),
                                rs.getString("reason"),
                                rs.getString("detail"),
                                rs.getInt("attempts"),
                                Priority.fromWire(rs.getString("priority")),
                                rs.getString("provider_message_id"),
                                instant(rs, "created_at"),
                                instant(rs, "received_at"),
                                instant(rs, "first_attempt_at"),
                                instant(rs, "final_at"),
                                rs.getString("locale")));
            }
        }
        return out;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** A delivery with the usual fields; the provider follows the channel and platform. */
    static Delivery delivery(
            String id,
            String eventId,
            String userId,
            Channel channel,
            Platform platform,
            DeliveryStatus status,
            String reason,
            Instant createdAt,
            Instant finalAt) {
        Provider provider =
                channel == null
                        ? null
                        : channel == Channel.PUSH
                                ? (platform == null ? null : Provider.forPlatform(platform))
                                : Provider.forChannel(channel);
        boolean attempted = status != DeliveryStatus.SKIPPED;
        return new Delivery(
                id,
                eventId,
                userId,
                "order.shipped",
                "order",
                channel,
                attempted ? provider : null,
                platform,
                platform == null ? null : "dev-" + id,
                status,
                reason,
                reason == null ? null : "detail of " + reason,
                attempted ? (status == DeliveryStatus.EXHAUSTED ? 5 : 1) : 0,
                Priority.NORMAL,
                status == DeliveryStatus.SENT ? "msg-" + id : null,
                createdAt,
                createdAt == null ? null : createdAt.plusMillis(40),
                attempted ? finalAt.minusMillis(20) : null,
                finalAt);
    }
}
