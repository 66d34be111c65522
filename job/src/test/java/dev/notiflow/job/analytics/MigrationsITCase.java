package dev.notiflow.job.analytics;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.Migrations;
import dev.notiflow.testkit.postgres.PostgresExtension;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Migrations} from the classpath (as packaged from sql/migrations) on a real PostgreSQL. */
class MigrationsITCase {

    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    @Test
    void shouldApplyEveryMigrationOnceAndThenNothing() throws Exception {
        Assumptions.assumeFalse(PG.postgres().isExternal(), "needs a private server");
        String url = PG.postgres().createDatabase("migrations_once");
        JdbcSettings settings =
                JdbcSettings.of(url, PG.postgres().user())
                        .withPasswordFile(PG.postgres().passwordFile().toString());

        assertThat(Migrations.apply(url, PG.postgres().user(), PG.postgres().password()))
                .isEqualTo(6);
        assertThat(Migrations.apply(settings)).isZero();

        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT version, description FROM flyway_schema_history"
                                        + " WHERE success ORDER BY installed_rank"))
                .containsExactly(
                        Map.of("version", "1", "description", "deliveries"),
                        Map.of("version", "2", "description", "delivery metrics"),
                        Map.of("version", "3", "description", "send ledger"),
                        Map.of("version", "4", "description", "delivery locale"),
                        Map.of("version", "5", "description", "gateway requests"),
                        Map.of("version", "6", "description", "engagement"));
    }

    @Test
    void shouldKeyBothTablesForUpserts() throws Exception {
        Assumptions.assumeFalse(PG.postgres().isExternal(), "needs a private server");
        String url = PG.postgres().createDatabase("migrations_keys");
        Migrations.apply(url, PG.postgres().user(), PG.postgres().password());
        JdbcSettings settings =
                JdbcSettings.of(url, PG.postgres().user())
                        .withPasswordFile(PG.postgres().passwordFile().toString());

        List<Map<String, Object>> keys =
                AnalyticsTestSupport.rows(
                        settings,
                        "SELECT tc.table_name, string_agg(kcu.column_name, ','"
                                + " ORDER BY kcu.ordinal_position) AS columns"
                                + " FROM information_schema.table_constraints tc"
                                + " JOIN information_schema.key_column_usage kcu"
                                + " USING (constraint_schema, constraint_name)"
                                + " WHERE tc.constraint_type = 'PRIMARY KEY'"
                                + " AND tc.table_name IN ('deliveries', 'delivery_metrics_minute', 'engagement')"
                                + " GROUP BY tc.table_name ORDER BY tc.table_name");
        assertThat(keys)
                .containsExactly(
                        Map.of("table_name", "deliveries", "columns", "notification_id"),
                        Map.of(
                                "table_name",
                                "delivery_metrics_minute",
                                "columns",
                                "minute,channel,provider,category,status,reason"),
                        Map.of("table_name", "engagement", "columns", "notification_id,event"));
        assertThat(
                        AnalyticsTestSupport.rows(
                                settings,
                                "SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries'"
                                        + " ORDER BY indexname"))
                .extracting(r -> r.get("indexname"))
                .containsExactly(
                        "deliveries_channel_final_at_idx",
                        "deliveries_event_id_idx",
                        "deliveries_final_at_idx",
                        "deliveries_pkey",
                        "deliveries_status_reason_idx");
    }
}
