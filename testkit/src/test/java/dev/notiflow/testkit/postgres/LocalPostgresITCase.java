package dev.notiflow.testkit.postgres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class LocalPostgresITCase {

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    @Test
    void shouldStoreAndReadRowsInDatabaseNotiflow() throws Exception {
        LocalPostgres pg = PG.postgres();
        try (Connection c = pg.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE deliveries_it (id TEXT PRIMARY KEY, status TEXT NOT NULL)");
            s.execute("INSERT INTO deliveries_it VALUES ('n1', 'SENT'), ('n2', 'FAILED')");
            s.execute(
                    "INSERT INTO deliveries_it VALUES ('n1', 'EXHAUSTED')"
                            + " ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status");

            assertThat(rows(s, "SELECT id || '=' || status FROM deliveries_it ORDER BY id"))
                    .containsExactly("n1=EXHAUSTED", "n2=FAILED");
            assertThat(rows(s, "SELECT current_database()")).containsExactly("notiflow");
        }
    }

    @Test
    void shouldAllowPreparedTransactionsForXa() throws Exception {
        assumeFalse(PG.postgres().isExternal(), "settings of an external server are not ours");
        try (Connection c = PG.postgres().connect();
                Statement s = c.createStatement()) {
            assertThat(rows(s, "SHOW max_prepared_transactions")).containsExactly("10");
            assertThat(rows(s, "SHOW listen_addresses")).containsExactly("127.0.0.1");
            s.execute("CREATE TABLE xa_it (id INT PRIMARY KEY)");
            c.setAutoCommit(false);
            s.execute("INSERT INTO xa_it VALUES (1)");
            s.execute("PREPARE TRANSACTION 'notiflow-it-1'");
            c.setAutoCommit(true);
            s.execute("COMMIT PREPARED 'notiflow-it-1'");
            assertThat(rows(s, "SELECT count(*) FROM xa_it")).containsExactly("1");
        }
    }

    @Test
    void shouldRefuseConnectionsWhileStoppedAndKeepDataAfterStartAgain() throws Exception {
        LocalPostgres pg = PG.postgres();
        assumeFalse(pg.isExternal(), "an external server cannot be stopped");
        try (Connection c = pg.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE outage_it (id TEXT PRIMARY KEY)");
            s.execute("INSERT INTO outage_it VALUES ('before-outage')");
        }

        pg.stop();

        assertThat(pg.isRunning()).isFalse();
        assertThatThrownBy(
                        () -> DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password()))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));

        pg.startAgain();

        try (Connection c = pg.connect();
                Statement s = c.createStatement()) {
            assertThat(rows(s, "SELECT id FROM outage_it")).containsExactly("before-outage");
        }
        assertThat(pg.jdbcUrl()).endsWith(":" + pg.port() + "/notiflow");
    }

    @Test
    void shouldCheckThePasswordWithScram() throws Exception {
        LocalPostgres pg = PG.postgres();
        assumeFalse(pg.isExternal(), "authentication of an external server is not ours");
        Properties noPassword = new Properties();
        noPassword.setProperty("user", pg.user());

        assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl(), pg.user(), "wrong"))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl(), noPassword))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("SCRAM");
        try (Connection c = pg.connect();
                Statement s = c.createStatement()) {
            assertThat(rows(s, "SHOW password_encryption")).containsExactly("scram-sha-256");
            assertThat(
                            rows(
                                    s,
                                    "SELECT DISTINCT auth_method FROM pg_hba_file_rules"
                                            + " WHERE type = 'host'"))
                    .containsExactly("scram-sha-256");
        }
    }

    @Test
    void shouldHandThePasswordOutAsAFileAndAsJdbcKeys() throws Exception {
        LocalPostgres pg = PG.postgres();

        assertThat(Files.readString(pg.passwordFile()).strip()).isEqualTo(pg.password());
        if (!pg.isExternal()) {
            assertThat(pg.password()).hasSize(24).isNotEqualTo("notiflow");
            assertThat(Files.getPosixFilePermissions(pg.passwordFile()))
                    .containsExactlyInAnyOrder(
                            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
        assertThat(pg.jdbcOptions())
                .containsOnly(
                        Map.entry("jdbc.url", pg.jdbcUrl()),
                        Map.entry("jdbc.user", pg.user()),
                        Map.entry("jdbc.password-file", pg.passwordFile().toString()));
    }

    @Test
    void shouldCreateFurtherDatabasesIdempotently() throws Exception {
        LocalPostgres pg = PG.postgres();
        assumeFalse(pg.isExternal(), "no database creation on an external server");

        String url = pg.createDatabase("other_it");
        assertThat(pg.createDatabase("other_it")).isEqualTo(url);

        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
                Statement s = c.createStatement()) {
            assertThat(rows(s, "SELECT current_database()")).containsExactly("other_it");
        }
    }

    private static List<String> rows(Statement s, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
