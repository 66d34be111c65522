package dev.notiflow.client;

import dev.notiflow.model.Platform;
import dev.notiflow.model.RawRecord;
import dev.notiflow.serde.EventParser;
import dev.notiflow.serde.InvalidRecordException;
import dev.notiflow.serde.Rejection;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The builders reject what the job would reject, with the DLQ's reason and detail. */
class RequestValidationTest {

    @Test
    void shouldRejectAnEventWithTheReasonTheDlqWouldGive() throws Exception {
        String json = "{\"eventId\":\"e\\u0000\",\"type\":\"t\",\"userIds\":[\"u1\"]}";
        Rejection dlq = null;
        try {
            EventParser.parse(
                    new RawRecord(
                            "notification-events",
                            0,
                            0,
                            0,
                            null,
                            json.getBytes(StandardCharsets.UTF_8)),
                    64 * 1024);
        } catch (InvalidRecordException e) {
            dlq = e.rejection();
        }

        ValidationException e =
                catchThrowableOfType(
                        ValidationException.class,
                        () -> Event.builder("t").eventId("e\u0000").userIds("u1").build());

        assertThat(dlq).isNotNull();
        assertThat(e.rejection()).isEqualTo(dlq);
    }

    @Test
    void shouldRejectMissingRecipientsAndTooLargeEvents() {
        assertThatThrownBy(() -> Event.builder("t").build())
                .isInstanceOfSatisfying(
                        ValidationException.class,
                        e -> assertThat(e.rejection().reason()).isEqualTo(Rejection.MISSING_FIELD));
        assertThatThrownBy(
                        () ->
                                Event.builder("t")
                                        .userIds("u1")
                                        .data("big", "x".repeat(70_000))
                                        .build())
                .isInstanceOfSatisfying(
                        ValidationException.class,
                        e ->
                                assertThat(e.rejection().reason())
                                        .isEqualTo(Rejection.RECORD_TOO_LARGE));
    }

    @Test
    void shouldRejectBadPreferencesDevicesAndTemplates() {
        assertThatThrownBy(() -> Preferences.builder("u1").timeZone("Mars/Olympus").build())
                .isInstanceOfSatisfying(
                        ValidationException.class,
                        e ->
                                assertThat(e.rejection())
                                        .isEqualTo(
                                                new Rejection(
                                                        Rejection.INVALID_FIELD,
                                                        "timeZone: 'Mars/Olympus' is not a time zone id")));
        assertThatThrownBy(() -> Device.builder("u1", "t", null).build())
                .isInstanceOfSatisfying(
                        ValidationException.class,
                        e -> assertThat(e.rejection().reason()).isEqualTo(Rejection.MISSING_FIELD));
        assertThatThrownBy(() -> Template.builder("t", " ").build())
                .isInstanceOf(ValidationException.class);
    }

    @Test
    void shouldDrawOneEventIdPerEventSoRetriesAreTheSameEvent() {
        Event e = Event.builder("t").userIds("u1").build();

        assertThat(e.eventId()).isNotBlank();
        assertThat(new String(e.json(), StandardCharsets.UTF_8))
                .contains("\"eventId\":\"" + e.eventId() + "\"");
        assertThat(Device.builder("u1", "s3cr3t-device", Platform.WEB).build().toString())
                .doesNotContain("s3cr3t");
    }
}
