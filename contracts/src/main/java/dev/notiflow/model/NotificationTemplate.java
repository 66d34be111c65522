package dev.notiflow.model;

import java.time.Instant;

/**
 * A template from {@code notification-templates}, keyed by {@code templateId:locale}. Its texts are
 * Liquid source, compiled by the job's renderer.
 *
 * @param emailText the plain-text part of an email, or {@code null}
 */
public record NotificationTemplate(
        String templateId,
        String locale,
        String title,
        String body,
        String emailSubject,
        String emailHtml,
        String emailText,
        String sms,
        Instant updatedAt) {

    /** The key this template is stored under: {@code templateId:locale}. */
    public String key() {
        return key(templateId, locale);
    }

    /** The key of a template id and locale: {@code templateId:locale}. */
    public static String key(String templateId, String locale) {
        return templateId + ":" + locale;
    }
}
