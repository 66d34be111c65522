package dev.notiflow.model;

import java.time.Instant;

/**
 * A token a provider reported dead, on {@code device-token-invalidations}. The job reads the topic
 * back to drop the token from the user's state, unless the token was registered again after {@code
 * invalidatedAt}.
 */
public record TokenInvalidation(
        String userId,
        String token,
        Platform platform,
        Provider provider,
        String reason,
        Instant invalidatedAt) {}
