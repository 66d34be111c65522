package dev.notiflow.job.analytics;

import org.apache.flink.connector.jdbc.datasource.connections.JdbcConnectionProvider;

import dev.notiflow.jdbc.JdbcConfigurationException;
import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.testkit.postgres.LocalPostgres;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The connection provider of the table sinks and the migrations, with the real driver, against a
 * PostgreSQL that checks passwords (scram-sha-256): the password reaches the driver from the file
 * or the variable; a refused password, user or database fails at once and names where the password
 * came from; a database that is down is waited for.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JdbcCredentialsITCase {

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    @TempDir Path dir;

    @Test
    void shouldConnectWithThePasswordFromTheFile() throws Exception {
        LocalPostgres pg = PG.postgres();
        JdbcSettings settings =
                JdbcSettings.of(pg.jdbcUrl(), pg.user())
                        .withPasswordFile(pg.passwordFile().toString());
        JdbcConnectionProvider provider = settings.connectionProvider();
        try {
            Connection c = provider.getOrEstablishConnection();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT current_user")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(pg.user());
            }
        } finally {
            provider.closeConnection();
        }
        assertThat(Migrations.apply(settings)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void shouldFailAtOnceNamingTheUrlAndThePasswordFileWhenThePasswordIsWrong() throws Exception {
        LocalPostgres pg = PG.postgres();
        Path wrong = Files.writeString(dir.resolve("password"), "not-the-password\n");
        JdbcSettings settings =
                JdbcSettings.of(pg.jdbcUrl(), pg.user()).withPasswordFile(wrong.toString());

        long start = System.nanoTime();
        assertThatThrownBy(() -> settings.connectionProvider().getOrEstablishConnection())
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("SQLState 28P01")
                .hasMessageContaining("jdbc.url=" + settings.url())
                .hasMessageContaining("jdbc.user=" + pg.user())
                .hasMessageContaining("jdbc.password-file=" + wrong)
                .hasMessageNotContaining("not-the-password")
                .hasMessageNotContaining(pg.password());
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);

        assertThatThrownBy(() -> Migrations.apply(settings))
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("SQLState 28P01")
                .hasMessageContaining("jdbc.url=" + settings.url())
                .hasMessageContaining("jdbc.password-file=" + wrong)
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void shouldFailAtOnceWhenTheServerWantsAPasswordAndTheVariableIsUnset() {
        LocalPostgres pg = PG.postgres();
        JdbcSettings settings =
                JdbcSettings.of(pg.jdbcUrl(), pg.user())
                        .withPasswordEnv("NOTIFLOW_CREDENTIALS_IT_UNSET_PASSWORD");

        assertThatThrownBy(() -> settings.connectionProvider().getOrEstablishConnection())
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("SQLState 08004")
                .hasMessageContaining(
                        "jdbc.password-env=NOTIFLOW_CREDENTIALS_IT_UNSET_PASSWORD (not set");
        assertThatThrownBy(() -> Migrations.apply(settings))
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("NOTIFLOW_CREDENTIALS_IT_UNSET_PASSWORD");
    }

    @Test
    void shouldFailAtOnceForAnUnknownUserOrDatabase() {
        LocalPostgres pg = PG.postgres();
        Assumptions.assumeFalse(pg.isExternal(), "needs a private server");
        JdbcSettings unknownDatabase =
                JdbcSettings.of(pg.jdbcUrl("no_such_database"), pg.user())
                        .withPasswordFile(pg.passwordFile().toString());
        JdbcSettings unknownUser =
                JdbcSettings.of(pg.jdbcUrl(), "no_such_user")
                        .withPasswordFile(pg.passwordFile().toString());

        assertThatThrownBy(() -> unknownDatabase.connectionProvider().getOrEstablishConnection())
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("SQLState 3D000")
                .hasMessageContaining("check the database name in jdbc.url");
        assertThatThrownBy(() -> Migrations.apply(unknownDatabase))
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("SQLState 3D000");
        assertThatThrownBy(() -> unknownUser.connectionProvider().getOrEstablishConnection())
                .isInstanceOf(JdbcConfigurationException.class)
                .hasMessageContaining("SQLState 28P01")
                .hasMessageContaining("jdbc.user=no_such_user");
    }

    @Test
    void shouldWaitForADatabaseThatIsDownAndConnectWhenItIsBack() throws Exception {
        LocalPostgres pg = PG.postgres();
        Assumptions.assumeFalse(pg.isExternal(), "an external server cannot be stopped");
        JdbcSettings settings =
                JdbcSettings.of(pg.jdbcUrl(), pg.user())
                        .withPasswordFile(pg.passwordFile().toString());
        JdbcConnectionProvider provider = settings.connectionProvider();
        pg.stop();
        CompletableFuture<Connection> connecting;
        try {
            connecting =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return provider.getOrEstablishConnection();
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            assertThatThrownBy(() -> connecting.get(4, TimeUnit.SECONDS))
                    .as("still trying while the database is down")
                    .isInstanceOf(TimeoutException.class);
        } finally {
            pg.startAgain();
        }
        Connection c = connecting.get(30, TimeUnit.SECONDS);
        assertThat(c.isValid(5)).isTrue();
        provider.closeConnection();
    }
}
