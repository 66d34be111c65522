package dev.notiflow.sandbox;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
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
        return new SendRequest(
                NotificationIds.of(eventId, user, Channel.PUSH, token),
                eventId,
                user,
                "bench.push",
                "bench",
                Channel.PUSH,
                ios ? Provider.APNS : Provider.FCM,
                ios ? Platform.IOS : Platform.ANDROID,
                token,
                BenchmarkWorkload.APP_ID,
                null,
                "en",
                Priority.NORMAL,
                "bench.push",
                Map.of("title", "Flash sale"),
                CONTENT,
                1,
                at,
                at,
                at,
                null);
    }

    /** Binds the delivery table upsert's 19 parameters for row {@code i}, a SENT push. */
    static void bindRow(PreparedStatement ps, long i, OffsetDateTime at) throws SQLException {
        ps.setString(1, "bench-" + i);
        ps.setString(2, "e-b" + (i / 2000));
        ps.setString(3, "u" + (i % 1_000_000));
        ps.setString(4, "bench.push");
        ps.setString(5, "bench");
        ps.setString(6, "push");
        ps.setString(7, "apns");
        ps.setString(8, "ios");
        ps.setString(9, Long.toHexString(i * 0x9E3779B97F4A7C15L));
        ps.setString(10, "SENT");
        ps.setNull(11, Types.VARCHAR);
        ps.setNull(12, Types.VARCHAR);
        ps.setInt(13, 1);
        ps.setString(14, "normal");
        ps.setString(15, "bench-msg-" + i);
        ps.setObject(16, at, Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(17, at, Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(18, at, Types.TIMESTAMP_WITH_TIMEZONE);
        ps.setObject(19, at, Types.TIMESTAMP_WITH_TIMEZONE);
    }
}
