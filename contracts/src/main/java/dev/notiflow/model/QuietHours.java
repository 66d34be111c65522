package dev.notiflow.model;

/**
 * A user's quiet hours in their own time zone, as {@code HH:mm}; {@code start} may be after {@code
 * end} (an overnight window).
 */
public record QuietHours(String start, String end) {}
