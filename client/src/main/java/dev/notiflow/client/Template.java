package dev.notiflow.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.serde.TemplateParser;

import java.time.Instant;

/**
 * A {@code notification-templates} record (key {@code templateId:locale}), validated by the job's
 * {@link TemplateParser} when built; {@code updatedAt} defaults to the build time. Immutable and
 * thread-safe.
 *
 * <pre>{@code
 * Template t = Template.builder("order_shipped", "en")
 *         .title("Shipped")
 *         .body("Order {{orderId}} is on its way")
 *         .email("Your order {{orderId}} has shipped", "<p>On its way</p>", null)
 *         .build();
 * }</pre>
 */
public final class Template {

    public static final String TOPIC = "notification-templates";

    private final String templateId;
    private final String locale;
    private final ContractRecord record;

    private Template(String templateId, String locale, ContractRecord record) {
        this.templateId = templateId;
        this.locale = locale;
        this.record = record;
    }

    public static Builder builder(String templateId, String locale) {
        return new Builder(templateId, locale);
    }

    static String key(String templateId, String locale) {
        return templateId + ":" + locale;
    }

    /** The tombstone that deletes a template. */
    static ContractRecord tombstone(String templateId, String locale) {
        return ContractRecord.validated(
                TOPIC, key(templateId, locale), null, TemplateParser::parse);
    }

    public String templateId() {
        return templateId;
    }

    public String locale() {
        return locale;
    }

    public byte[] json() {
        return record.value.clone();
    }

    ContractRecord record() {
        return record;
    }

    /** Builds one {@link Template}; not thread-safe. */
    public static final class Builder {
        private final String templateId;
        private final String locale;
        private String title;
        private String body;
        private String emailSubject;
        private String emailHtml;
        private String emailText;
        private String sms;
        private Instant updatedAt;

        private Builder(String templateId, String locale) {
            this.templateId = templateId;
            this.locale = locale;
        }

        /** The push title. */
        public Builder title(String title) {
            this.title = title;
            return this;
        }

        /** The push body. */
        public Builder body(String body) {
            this.body = body;
            return this;
        }

        public Builder email(String subject, String html, String text) {
            this.emailSubject = subject;
            this.emailHtml = html;
            this.emailText = text;
            return this;
        }

        public Builder sms(String sms) {
            this.sms = sms;
            return this;
        }

        public Builder updatedAt(Instant updatedAt) {
            this.updatedAt = updatedAt;
            return this;
        }

        /**
         * @throws ValidationException with the reason and detail the job's DLQ would give
         */
        public Template build() {
            ObjectNode o = JsonBuilder.object();
            JsonBuilder.text(o, "templateId", templateId);
            JsonBuilder.text(o, "locale", locale);
            JsonBuilder.text(o, "title", title);
            JsonBuilder.text(o, "body", body);
            if (emailSubject != null || emailHtml != null || emailText != null) {
                ObjectNode e = o.putObject("email");
                JsonBuilder.text(e, "subject", emailSubject);
                JsonBuilder.text(e, "html", emailHtml);
                JsonBuilder.text(e, "text", emailText);
            }
            JsonBuilder.text(o, "sms", sms);
            JsonBuilder.instant(o, "updatedAt", updatedAt != null ? updatedAt : Instant.now());
            String key = templateId == null || locale == null ? null : key(templateId, locale);
            return new Template(
                    templateId,
                    locale,
                    ContractRecord.validated(
                            TOPIC, key, JsonBuilder.bytes(o), TemplateParser::parse));
        }
    }
}
