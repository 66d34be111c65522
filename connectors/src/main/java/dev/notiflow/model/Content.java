package dev.notiflow.model;

/**
 * Rendered message content. Push uses {@code title} and {@code body}; SMS uses {@code text}; email
 * uses {@code subject}, {@code text} and {@code html}.
 */
public record Content(String title, String body, String subject, String text, String html) {}
