package dev.notiflow.jdbc;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates and upgrades the PostgreSQL tables with Flyway, from the ordered migrations in {@code
 * sql/migrations} ({@code V1__deliveries.sql}, {@code V2__delivery_metrics.sql}, ...), which the
 * build copies onto the classpath as {@value #LOCATION}.
 *
 * <p>Applying is idempotent: migrations already recorded in {@code flyway_schema_history} are
 * skipped, and a changed migration file fails validation instead of running again. Several clients
 * may call it at once; Flyway serializes them with an advisory lock.
 *
 * <pre>{@code
 * Migrations.apply(jdbcUrl, "notiflow", password);   // or Migrations.apply(settings)
 * }</pre>
 *
 * From a shell, with the password in {@code $NOTIFLOW_JDBC_PASSWORD} (or a file):
 *
 * <pre>
 * java -cp notiflow-job-shaded.jar dev.notiflow.jdbc.Migrations \
 *     jdbc:postgresql://db:5432/notiflow notiflow [--password-env VAR | --password-file FILE]
 * </pre>
 *
 * <p>A wrong password, user or database name fails at once with a {@link
 * JdbcConfigurationException} that names {@code jdbc.url} and the password's source; Flyway does
 * not retry connecting, so a database that is down fails the call too (with Flyway's error).
 *
 * <p>Stateless and thread-safe.
 */
public final class Migrations {

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    /** Classpath location of the migration scripts. */
    public static final String LOCATION = "classpath:db/migration";

    private Migrations() {}

    /**
     * Applies every pending migration.
     *
     * @param password the password, or {@code null} for none
     * @return the number of migrations applied now (0 when the schema was up to date)
     * @throws JdbcConfigurationException when the database refuses the password, the user or the
     *     database name (SQLState class {@code 28}, {@code 3D000})
     */
    public static int apply(String jdbcUrl, String user, String password) {
        return apply(
                jdbcUrl,
                user,
                password,
                password == null ? "nowhere (no password given)" : "the caller");
    }

    /**
     * Applies every pending migration to the database named by the settings.
     *
     * @throws JdbcConfigurationException when the database refuses the password, the user or the
     *     database name, naming {@code jdbc.url} and the password's source
     */
    public static int apply(JdbcSettings settings) {
        return apply(
                settings.url(),
                settings.user(),
                settings.resolvePassword(),
                settings.describePasswordSource());
    }

    private static int apply(String jdbcUrl, String user, String password, String passwordSource) {
        String url = JdbcSettings.withoutServerErrorDetail(jdbcUrl);
        MigrateResult result;
        try {
            Flyway flyway =
                    Flyway.configure(Migrations.class.getClassLoader())
                            .dataSource(url, user, password)
                            .locations(LOCATION)
                            .failOnMissingLocations(true)
                            .load();
            result = flyway.migrate();
        } catch (FlywayException e) {
            SQLException sql = sqlCause(e);
            if (sql != null
                    && ConnectFailures.classify(sql, password != null)
                            == ConnectFailures.Kind.CONFIGURATION) {
                throw ConnectFailures.configurationError(url, user, passwordSource, sql);
            }
            throw e;
        }
        LOG.info(
                "Database schema at version {} ({} migrations applied now)",
                result.targetSchemaVersion != null
                        ? result.targetSchemaVersion
                        : result.initialSchemaVersion,
                result.migrationsExecuted);
        return result.migrationsExecuted;
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /**
     * Command line: {@code <jdbc-url> [user] [--password-env VAR | --password-file FILE]}; the
     * password comes from {@value JdbcSettings#DEFAULT_PASSWORD_ENV} unless told otherwise.
     */
    public static void main(String[] args) {
        List<String> positional = new ArrayList<>();
        String passwordEnv = JdbcSettings.DEFAULT_PASSWORD_ENV;
        String passwordFile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--password-env":
                    passwordEnv = value(args, ++i);
                    break;
                case "--password-file":
                    passwordFile = value(args, ++i);
                    break;
                default:
                    positional.add(args[i]);
            }
        }
        if (positional.isEmpty() || positional.size() > 2) {
            System.err.println(
                    "usage: Migrations <jdbc-url> [user] [--password-env VAR | --password-file FILE]");
            System.exit(2);
        }
        JdbcSettings settings =
                JdbcSettings.of(
                        positional.get(0), positional.size() > 1 ? positional.get(1) : null);
        settings =
                passwordFile != null
                        ? settings.withPasswordFile(passwordFile)
                        : settings.withPasswordEnv(passwordEnv);
        int applied = apply(settings);
        System.out.println("migrations applied: " + applied);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
