package dev.notiflow.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.testkit.providers.LocalProviders;
import dev.notiflow.testkit.providers.apns.ApnsNotification;
import dev.notiflow.testkit.providers.fcm.FcmMessage;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import dev.notiflow.testkit.providers.twilio.MockTwilioServer;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The lines of a local run's {@code sent.jsonl}: one per call the local providers received, with
 * the recipient and the rendered content as the provider got it ({@code title}, {@code body},
 * {@code subject}, {@code text}, {@code html}; {@code null} where the channel has none), so that
 * templates can be previewed end to end. Local runs only: the job itself never logs content.
 *
 * <p>{@code notificationId} comes from the call itself (APNs and FCM carry it as data, email in its
 * Message-ID); an SMS call carries none, so it is the notification whose delivery record has the
 * message SID the call was answered with, or {@code null} for a call that was refused.
 */
final class SentMessages {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SentMessages() {}

    static List<String> lines(LocalProviders providers, List<String> deliveries)
            throws IOException {
        Map<String, String> bySid = new HashMap<>();
        for (String d : deliveries) {
            JsonNode node = JSON.readTree(d);
            if ("sms".equals(node.path("channel").asText())
                    && node.hasNonNull("providerMessageId")) {
                bySid.put(
                        node.get("providerMessageId").asText(),
                        node.path("notificationId").asText());
            }
        }
        List<String> lines = new ArrayList<>();
        for (ApnsNotification n : providers.apns().receivedNotifications()) {
            JsonNode payload = JSON.readTree(n.payload());
            JsonNode alert = payload.path("aps").path("alert");
            lines.add(
                    line(
                            text(payload, "notificationId"),
                            "apns",
                            n.token(),
                            n.status(),
                            alert.isTextual() ? null : text(alert, "title"),
                            alert.isTextual() ? alert.asText() : text(alert, "body"),
                            null,
                            null,
                            null));
        }
        for (FcmMessage m : providers.fcm().receivedMessages()) {
            JsonNode notification = m.message().path("notification");
            lines.add(
                    line(
                            text(m.message().path("data"), "notificationId"),
                            "fcm",
                            m.token(),
                            m.status(),
                            text(notification, "title"),
                            text(notification, "body"),
                            null,
                            null,
                            null));
        }
        for (MockTwilioServer.SmsMessage m : providers.sms().receivedMessages()) {
            lines.add(
                    line(
                            m.sid() == null ? null : bySid.get(m.sid()),
                            "twilio",
                            m.to(),
                            m.status(),
                            null,
                            null,
                            null,
                            m.body(),
                            null));
        }
        for (ScriptedSmtpServer.ReceivedMessage m : providers.email().messages()) {
            lines.add(email(m));
        }
        return lines;
    }

    private static String email(ScriptedSmtpServer.ReceivedMessage m) throws IOException {
        try {
            MimeMessage message =
                    new MimeMessage(
                            Session.getInstance(new Properties()),
                            new ByteArrayInputStream(m.raw()));
            String[] parts = new String[2];
            collect(message, parts);
            return line(
                    notificationId(m.messageId()),
                    "smtp",
                    String.join(",", m.recipients()),
                    250,
                    null,
                    null,
                    message.getSubject(),
                    parts[0],
                    parts[1]);
        } catch (MessagingException e) {
            throw new IOException("cannot read a received email", e);
        }
    }

    /** Finds the text/plain ({@code parts[0]}) and text/html ({@code parts[1]}) parts. */
    private static void collect(Part part, String[] parts) throws MessagingException, IOException {
        if (part.isMimeType("text/plain") && parts[0] == null) {
            parts[0] = (String) part.getContent();
        } else if (part.isMimeType("text/html") && parts[1] == null) {
            parts[1] = (String) part.getContent();
        } else if (part.isMimeType("multipart/*")) {
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                collect(child, parts);
            }
        }
    }

    /** The notification id of a Message-ID {@code <notificationId@domain>}. */
    private static String notificationId(String messageId) {
        if (messageId == null) {
            return null;
        }
        String id = messageId.strip();
        if (id.startsWith("<")) {
            id = id.substring(1);
        }
        int at = id.indexOf('@');
        return at > 0 ? id.substring(0, at) : id;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String line(
            String notificationId,
            String provider,
            String recipient,
            int status,
            String title,
            String body,
            String subject,
            String text,
            String html)
            throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("notificationId", notificationId);
        o.put("provider", provider);
        o.put("recipient", recipient);
        o.put("status", status);
        o.put("title", title);
        o.put("body", body);
        o.put("subject", subject);
        o.put("text", text);
        o.put("html", html);
        return JSON.writeValueAsString(o);
    }
}
