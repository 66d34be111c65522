package dev.notiflow.job.operators;

import org.apache.flink.api.common.functions.MapFunction;

import dev.notiflow.model.Content;
import dev.notiflow.model.SendRequest;

import java.util.Collections;
import java.util.Map;

/**
 * Builds message content from the event's data: {@code title} (default: the event type), {@code
 * body}, {@code subject} (default: the title); SMS text is the body, or the title when there is no
 * body; the HTML part is the HTML-escaped text. A {@code null} value (the contract keeps a JSON
 * {@code null} in {@code data}) counts as absent. Stateless. The pipeline renders with {@code
 * RenderTemplates}, which falls back to this for an event without a template.
 */
public final class RenderContent implements MapFunction<SendRequest, SendRequest> {

    private static final long serialVersionUID = 1L;

    @Override
    public SendRequest map(SendRequest request) {
        return fromData(request);
    }

    /** The request with content built from its data, as described above. */
    public static SendRequest fromData(SendRequest request) {
        Map<String, String> data = request.data() == null ? Collections.emptyMap() : request.data();
        String title = valueOr(data, "title", request.type());
        String body = valueOr(data, "body", "");
        String subject = valueOr(data, "subject", title);
        String text = body.isEmpty() ? title : body;
        String html = "<p>" + escapeHtml(text) + "</p>";
        return request.withContent(new Content(title, body, subject, text, html));
    }

    private static String valueOr(Map<String, String> data, String key, String fallback) {
        String value = data.get(key);
        return value == null ? fallback : value;
    }

    static String escapeHtml(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<':
                    b.append("&lt;");
                    break;
                case '>':
                    b.append("&gt;");
                    break;
                case '&':
                    b.append("&amp;");
                    break;
                case '"':
                    b.append("&quot;");
                    break;
                case '\'':
                    b.append("&#39;");
                    break;
                default:
                    b.append(c);
            }
        }
        return b.toString();
    }
}
