package dev.notiflow.job.operators;

import dev.notiflow.model.Channel;
import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.DeliveryStatus;
import dev.notiflow.model.NotificationEvent;
import dev.notiflow.model.NotificationIds;
import dev.notiflow.model.Provider;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.SendOutcome;
import dev.notiflow.model.SendRequest;
import dev.notiflow.serde.Rejection;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** Builders of the output records, so every operator fills them the same way. */
public final class Records {

    private Records() {}

    /** A final record decided before any send, for a whole channel (or no channel). */
    public static Delivery skipped(
            NotificationEvent event,
            String userId,
            Channel channel,
            DeliveryStatus status,
            String reason,
            String detail,
            Instant now) {
        Provider provider =
                channel == null || channel == Channel.PUSH ? null : Provider.forChannel(channel);
        return new Delivery(
                NotificationIds.of(event.eventId(), userId, channel, null),
                event.eventId(),
                userId,
                event.type(),
                event.category(),
                channel,
                provider,
                null,
                null,
                status,
                reason,
                detail,
                0,
                event.priority(),
                null,
                event.createdAt(),
                event.receivedAt(),
                null,
                now);
    }

    /**
     * A SKIPPED record for a whole event, before any user is known (an audience event): no user, no
     * channel, under the id of (eventId, no user, no channel).
     */
    public static Delivery skippedEvent(
            NotificationEvent event, String reason, String detail, Instant now) {
        return new Delivery(
                NotificationIds.of(event.eventId(), "", null, null),
                event.eventId(),
                null,
                event.type(),
                event.category(),
                null,
                null,
                null,
                null,
                DeliveryStatus.SKIPPED,
                reason,
                detail,
                0,
                event.priority(),
                null,
                event.createdAt(),
                event.receivedAt(),
                null,
                now);
    }

    /**
     * A SKIPPED record decided for a request's whole channel before sending (no device, no provider
     * for push), under the channel's notification id.
     */
    public static Delivery skippedChannel(
            SendRequest r, String reason, String detail, Instant now) {
        Channel channel = r.channel();
        return new Delivery(
                NotificationIds.of(r.eventId(), r.userId(), channel, null),
                r.eventId(),
                r.userId(),
                r.type(),
                r.category(),
                channel,
                channel == Channel.PUSH ? null : Provider.forChannel(channel),
                null,
                null,
                DeliveryStatus.SKIPPED,
                reason,
                r.fallbackOf() == null ? detail : "fallback for " + r.fallbackOf() + "; " + detail,
                0,
                r.priority(),
                null,
                r.createdAt(),
                r.receivedAt(),
                null,
                now);
    }

    /** The record of a repeated event: no recipient, no channel. */
    public static Delivery duplicate(NotificationEvent event, Instant now) {
        return new Delivery(
                NotificationIds.ofDuplicate(event.eventId(), event.sourceRef()),
                event.eventId(),
                null,
                event.type(),
                event.category(),
                null,
                null,
                null,
                null,
                DeliveryStatus.SKIPPED,
                "DUPLICATE_EVENT",
                "eventId already seen (" + event.sourceRef() + ")",
                0,
                event.priority(),
                null,
                event.createdAt(),
                event.receivedAt(),
                null,
                now);
    }

    /** A final record for one send request, with or without attempts made. */
    public static Delivery forRequest(
            SendRequest r,
            DeliveryStatus status,
            String reason,
            String detail,
            int attempts,
            String providerMessageId,
            Instant firstAttemptAt,
            Instant now) {
        return forRequest(
                r,
                status,
                reason,
                detail,
                attempts,
                providerMessageId,
                firstAttemptAt,
                now,
                r.content() == null ? null : r.content().locale());
    }

    /**
     * A final record for one send request, naming the locale of its template ({@code null} for
     * none).
     */
    public static Delivery forRequest(
            SendRequest r,
            DeliveryStatus status,
            String reason,
            String detail,
            int attempts,
            String providerMessageId,
            Instant firstAttemptAt,
            Instant now,
            String locale) {
        return new Delivery(
                r.notificationId(),
                r.eventId(),
                r.userId(),
                r.type(),
                r.category(),
                r.channel(),
                r.provider(),
                r.platform(),
                NotificationIds.deviceRef(r.token()),
                status,
                reason,
                detail,
                attempts,
                r.priority(),
                providerMessageId,
                r.createdAt(),
                r.receivedAt(),
                firstAttemptAt,
                now,
                locale);
    }

    /** The final record of an attempt's outcome. */
    public static Delivery forOutcome(
            SendOutcome o, DeliveryStatus status, String reason, Instant now) {
        SendRequest r = o.request();
        Instant first = r.firstAttemptAt() != null ? r.firstAttemptAt() : o.attemptedAt();
        String detail = o.result().detail();
        if (r.fallbackOf() != null) {
            detail = "fallback for " + r.fallbackOf() + (detail == null ? "" : "; " + detail);
        }
        return forRequest(
                r, status, reason, detail, r.attempt(), o.result().providerMessageId(), first, now);
    }

    /** A DLQ record for an input record that could not be used. */
    public static DeadLetter badInput(RawRecord record, Rejection rejection, Instant now) {
        byte[] value = record.value();
        return new DeadLetter(
                DeadLetter.INPUT,
                rejection.reason(),
                rejection.detail(),
                record.topic(),
                record.sourceRef(),
                record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                value == null ? null : utf8OrNull(value),
                value == null ? null : Base64.getEncoder().encodeToString(value),
                null,
                null,
                null,
                null,
                now);
    }

    /** A DLQ record for a send that ended FAILED or EXHAUSTED. */
    public static DeadLetter failedSend(Delivery d) {
        return new DeadLetter(
                DeadLetter.SEND,
                d.reason(),
                d.detail(),
                null,
                null,
                null,
                null,
                null,
                d.eventId(),
                d.notificationId(),
                d.userId(),
                d.channel(),
                d.finalAt());
    }

    private static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
