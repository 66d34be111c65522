package dev.notiflow.model;

import java.time.Instant;

/** A device registration from {@code device-tokens}. {@code active == false} unregisters it. */
public record DeviceToken(
        String userId,
        String token,
        Platform platform,
        String appId,
        boolean active,
        Instant updatedAt) {}
