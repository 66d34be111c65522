package dev.notiflow.sandbox;

import dev.notiflow.jdbc.DeliveryTableSink;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;

/** The requests and rows the ceilings send and write: shaped as the job's own. */
final class BenchmarkRequests {

    private static final Content CONTENT =
            new Content(
                    "Flash sale",
                    "Everything 20% off for the next hour, event e-b0",
                    null,
                    null,
                    null);

    private BenchmarkRequests() {}

    /** A rendered push request as the job hands it to a sender. */
    static SendRequest request(String eventId, String user, String token, boolean ios, Instant at) {
        return SendRequest.builder()
                .notificationId(NotificationIds.of(eventId, user, Channel.PUSH, token))
                .eventId(eventId)
                .userId(user)
                .type("bench.push")
                .category("bench")
                .channel(Channel.PUSH)
                .provider(ios ? Provider.APNS : Provider.FCM)
                .platform(ios ? Platform.IOS : Platform.ANDROID)
                .token(token)
                .appId(BenchmarkWorkload.APP_ID)
                .locale("en")
                .priority(Priority.NORMAL)
                .templateId("bench.push")
                .data(Map.of("title", "Flash sale"))
                .content(CONTENT)
                .createdAt(at)
                .receivedAt(at)
                .firstAttemptAt(at)
                .build();
    }

    /** Row {@code i} of the JDBC ceiling: a SENT push, bound by the delivery table's own code. */
    static void bindRow(PreparedStatement ps, long i, Instant at) throws SQLException {
        DeliveryTableSink.bind(
                ps,
                new Delivery(
                        "bench-" + i,
                        "e-b" + (i / 2000),
                        "u" + (i % 1_000_000),
                        "bench.push",
                        "bench",
                        Channel.PUSH,
                        Provider.APNS,
                        Platform.IOS,
                        Long.toHexString(i * 0x9E3779B97F4A7C15L),
                        DeliveryStatus.SENT,
                        null,
                        null,
                        1,
                        Priority.NORMAL,
                        "bench-msg-" + i,
                        at,
                        at,
                        at,
                        at,
                        "en"));
    }
}
