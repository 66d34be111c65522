package dev.notiflow.jdbc;

import org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectFailuresTest {

    private static final String URL = "jdbc:postgresql://db:5432/notiflow";

    @ParameterizedTest
    @ValueSource(strings = {"08001", "08006", "08003", "08000", "57P01", "57P02", "57P03", "53300"})
    void shouldRetryConnectionLevelFailures(String state) {
        SQLException e = new SQLException("connection failed", state);

        assertThat(ConnectFailures.classify(e, true)).isEqualTo(ConnectFailures.Kind.CONNECTION);
        assertThat(ConnectFailures.classify(e, false)).isEqualTo(ConnectFailures.Kind.CONNECTION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"28P01", "28000", "3D000"})
    void shouldFailAtOnceOnAuthenticationAndUnknownDatabase(String state) {
        SQLException e = new SQLException("FATAL: refused", state);

        assertThat(ConnectFailures.classify(e, true)).isEqualTo(ConnectFailures.Kind.CONFIGURATION);
        assertThat(ConnectFailures.classify(e, false))
                .isEqualTo(ConnectFailures.Kind.CONFIGURATION);
    }

    @Test
    void shouldFailAtOnceWhenTheServerWantsAPasswordAndNoneWasGiven() {
        // pgjdbc: "The server requested SCRAM-based authentication, but no password was provided."
        SQLException e = new SQLException("no password was provided", "08004");

        assertThat(ConnectFailures.classify(e, false))
                .isEqualTo(ConnectFailures.Kind.CONFIGURATION);
        assertThat(ConnectFailures.classify(e, true)).isEqualTo(ConnectFailures.Kind.CONNECTION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"42P01", "23505", "40001", "57014", "XX000"})
    void shouldLeaveOtherFailuresToTheCaller(String state) {
        assertThat(ConnectFailures.classify(new SQLException("x", state), true))
                .isEqualTo(ConnectFailures.Kind.OTHER);
        assertThat(ConnectFailures.classify(new SQLException("no state"), true))
                .isEqualTo(ConnectFailures.Kind.OTHER);
    }

    @Test
    void shouldNameTheUrlAndThePasswordFileButNeverThePassword() {
        JdbcSettings settings =
                JdbcSettings.of(URL + "?password=hunter2", "app")
                        .withPasswordFile("/run/secrets/db-password");
        SQLException refusal =
                new SQLException("FATAL: password authentication failed for user \"app\"", "28P01");

        JdbcConfigurationException error = ConnectFailures.configurationError(settings, refusal);

        assertThat(error.getMessage())
                .contains("jdbc.url=" + URL + "?password=***&logServerErrorDetail=false")
                .contains("jdbc.user=app")
                .contains("jdbc.password-file=/run/secrets/db-password")
                .contains("28P01")
                .contains("password authentication failed")
                .doesNotContain("hunter2");
        assertThat(error.sqlState()).isEqualTo("28P01");
        assertThat(error).hasCause(refusal);
    }

    @Test
    void shouldNameThePasswordVariableAndSayWhenItIsUnset() {
        JdbcSettings settings = JdbcSettings.of(URL, "app").withPasswordEnv("DB_SECRET");

        assertThat(settings.describePasswordSource(Map.of("DB_SECRET", "s3cret")::get))
                .isEqualTo("jdbc.password-env=DB_SECRET")
                .doesNotContain("s3cret");
        assertThat(settings.describePasswordSource(Map.<String, String>of()::get))
                .startsWith("jdbc.password-env=DB_SECRET (not set");
        assertThat(JdbcSettings.of(URL, "app").withPasswordEnv(null).describePasswordSource())
                .contains("neither jdbc.password-file nor jdbc.password-env");
    }

    @Test
    void shouldPointAtTheDatabaseNameForAnUnknownDatabase() {
        JdbcConfigurationException error =
                ConnectFailures.configurationError(
                        JdbcSettings.of(URL, "app"),
                        new SQLException("FATAL: database \"notiflow\" does not exist", "3D000"));

        assertThat(error.getMessage()).contains("check the database name in jdbc.url");
    }

    @Test
    void shouldBeNonRecoverableForFlinkAnywhereInTheCauseChain() {
        JdbcConfigurationException error =
                ConnectFailures.configurationError(
                        JdbcSettings.of(URL, "app"), new SQLException("refused", "28P01"));

        // As the JDBC writer wraps it when its connection cannot open.
        IOException wrapped = new IOException("unable to open JDBC writer", error);

        assertThat(ExecutionFailureHandler.isUnrecoverableError(wrapped)).isTrue();
        assertThat(ExecutionFailureHandler.isUnrecoverableError(new IOException("other")))
                .isFalse();
    }
}
