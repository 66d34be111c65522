package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.NotificationTemplate;
import dev.notiflow.model.RawRecord;
import dev.notiflow.model.TemplateUpdate;

import java.nio.charset.StandardCharsets;

/**
 * Parses {@code notification-templates} records (key {@code templateId:locale}) into {@link
 * TemplateUpdate}s: a value is a new version of its template, a tombstone (null value) deletes the
 * template named by the record key. A value whose record key is given and differs from its {@code
 * templateId:locale} is rejected, so that a later tombstone for that key deletes what it names.
 * Stateless and thread-safe.
 */
public final class TemplateParser {

    private TemplateParser() {}

    public static TemplateUpdate parse(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (record.value() == null) {
            if (key == null || key.isEmpty()) {
                throw new InvalidRecordException(
                        Rejection.MISSING_FIELD, "key: a tombstone needs its record key");
            }
            Ids.check("key", key);
            int colon = key.lastIndexOf(':');
            if (colon <= 0 || colon == key.length() - 1) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "key: a template tombstone needs the key templateId:locale");
            }
            return new TemplateUpdate(key, null);
        }
        NotificationTemplate template = parseValue(record, maxRecordBytes);
        if (key != null && !key.isEmpty() && !key.equals(template.key())) {
            throw new InvalidRecordException(
                    Rejection.INVALID_FIELD,
                    "key: '" + key + "' is not templateId:locale '" + template.key() + "'");
        }
        return new TemplateUpdate(template.key(), template);
    }

    private static NotificationTemplate parseValue(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String subject = null;
        String html = null;
        String text = null;
        JsonNode email = obj.get("email");
        if (email != null && !email.isNull()) {
            if (!email.isObject()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD,
                        "email: must be an object with subject, html and text");
            }
            subject = JsonFields.optionalText(email, "subject");
            html = JsonFields.optionalText(email, "html");
            text = JsonFields.optionalText(email, "text");
        }
        return new NotificationTemplate(
                JsonFields.requiredId(obj, "templateId"),
                JsonFields.requiredId(obj, "locale"),
                JsonFields.optionalText(obj, "title"),
                JsonFields.optionalText(obj, "body"),
                subject,
                html,
                text,
                JsonFields.optionalText(obj, "sms"),
                JsonFields.optionalInstant(obj, "updatedAt"));
    }
}
