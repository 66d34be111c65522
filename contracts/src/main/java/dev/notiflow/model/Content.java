package dev.notiflow.model;

/**
 * Rendered message content. Push uses {@code title} and {@code body}; SMS uses {@code text}; email
 * uses {@code subject}, {@code text} and {@code html}.
 *
 * @param locale the locale of the template it was rendered from, or {@code null} for content built
 *     from the event's data without a template
 */
public record Content(
        String title, String body, String subject, String text, String html, String locale) {

    /** Content built without a template. */
    public Content(String title, String body, String subject, String text, String html) {
        this(title, body, subject, text, html, null);
    }
}
