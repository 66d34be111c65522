package dev.notiflow.serde;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.model.NotificationTemplate;
import dev.notiflow.model.RawRecord;

/**
 * Parses {@code notification-templates} records (key {@code templateId:locale}). Stateless and
 * thread-safe.
 */
public final class TemplateParser {

    private TemplateParser() {}

    public static NotificationTemplate parse(RawRecord record, int maxRecordBytes)
            throws InvalidRecordException {
        if (record.value() == null) {
            throw new InvalidRecordException(
                    Rejection.MALFORMED_JSON, "value is null: template deletion is not supported");
        }
        JsonNode obj = JsonFields.readObject(record.value(), maxRecordBytes);
        String subject = null;
        String html = null;
        JsonNode email = obj.get("email");
        if (email != null && !email.isNull()) {
            if (!email.isObject()) {
                throw new InvalidRecordException(
                        Rejection.INVALID_FIELD, "email: must be an object with subject and html");
            }
            subject = JsonFields.optionalText(email, "subject");
            html = JsonFields.optionalText(email, "html");
        }
        return new NotificationTemplate(
                JsonFields.requiredId(obj, "templateId"),
                JsonFields.requiredId(obj, "locale"),
                JsonFields.optionalText(obj, "title"),
                JsonFields.optionalText(obj, "body"),
                subject,
                html,
                JsonFields.optionalText(obj, "sms"),
                JsonFields.optionalInstant(obj, "updatedAt"));
    }
}
