package dev.notiflow.job.analytics;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

import dev.notiflow.jdbc.JdbcSettings;
import dev.notiflow.jdbc.TableWriter;
import dev.notiflow.job.OutputTags;
import dev.notiflow.job.Uids;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Engagement;
import dev.notiflow.model.RawRecord;

/**
 * Folds {@code notification-engagement} into the table {@code engagement}: the first time of each
 * step (delivered, opened, clicked, dismissed) per notification. Part of the topology of {@link
 * dev.notiflow.job.DeliveryTablesJob}.
 *
 * <pre>{@code
 * DataStream<DeadLetter> rejected =
 *         EngagementAnalytics.attach(KafkaWiring.engagement(env, config), jdbc, maxBytes, topic);
 * rejected.sinkTo(dlqSink);
 * }</pre>
 *
 * <p>Operators, each with a stable uid from {@link Uids}:
 *
 * <ul>
 *   <li>{@value Uids#PARSE_ENGAGEMENT}: {@link ParseEngagement}, bad records to the DLQ (kind
 *       {@code INPUT}) with their reason;
 *   <li>{@value Uids#ENGAGEMENT_TABLE_SINK}: a {@link TableWriter} with the upsert of {@link
 *       EngagementTable}, at-least-once; the upsert keeps the earliest report, so replays change
 *       nothing. Refused rows become dead letters of kind {@code TABLE}.
 * </ul>
 *
 * <p>Stateless; call it while building the topology.
 */
public final class EngagementAnalytics {

    private EngagementAnalytics() {}

    /**
     * Adds the parser and the table writer to {@code records}, read from {@code engagementTopic};
     * returns the rejected records and the refused rows, as dead letters.
     */
    public static DataStream<DeadLetter> attach(
            DataStream<RawRecord> records,
            JdbcSettings settings,
            int maxRecordBytes,
            String engagementTopic) {
        SingleOutputStreamOperator<Engagement> parsed =
                records.process(new ParseEngagement(maxRecordBytes))
                        .uid(Uids.PARSE_ENGAGEMENT)
                        .name("Parse engagement");
        DataStream<DeadLetter> refused =
                parsed.transform(
                                "Engagement table (PostgreSQL)",
                                TypeInformation.of(DeadLetter.class),
                                new TableWriter<>(settings, EngagementTable.rows(engagementTopic)))
                        .uid(Uids.ENGAGEMENT_TABLE_SINK);
        return parsed.getSideOutput(OutputTags.DEAD_LETTERS).union(refused);
    }
}
