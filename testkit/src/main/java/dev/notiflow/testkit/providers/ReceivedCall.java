package dev.notiflow.testkit.providers;

import java.time.Instant;

/**
 * One request a mock provider received, with the answer it gave. Tests use these to assert what
 * reached the provider and to count duplicate sends.
 *
 * @param provider {@code apns}, {@code fcm}, {@code sms} or {@code email}
 * @param recipient device token, E.164 number or email address
 * @param notificationRef the notification id the sender attached (APNs apns-id, FCM data {@code
 *     notificationId}, email Message-ID, SMS: the message body), or {@code null}
 * @param status the HTTP status or SMTP reply code the mock answered
 */
public record ReceivedCall(
        String provider, String recipient, String notificationRef, Instant at, int status) {

    public boolean accepted() {
        return status < 300 || status == 250;
    }
}
