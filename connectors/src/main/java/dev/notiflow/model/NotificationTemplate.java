package dev.notiflow.model;

import java.time.Instant;

/** A template from {@code notification-templates}, keyed by {@code templateId:locale}. */
public record NotificationTemplate(
        String templateId,
        String locale,
        String title,
        String body,
        String emailSubject,
        String emailHtml,
        String sms,
        Instant updatedAt) {}
