package dev.notiflow.model;

import java.util.List;

/**
 * The push step of a fallback chain ({@code live>push>…}), carried by the live request that falls
 * back to it: a push fallback is one notification per device, so the request holds the user's
 * active devices as they were when it was resolved, and the step after push.
 *
 * @param devices the user's active devices, at least one
 * @param thenChannel the channel each push notification falls back to once, or {@code null}
 * @param thenAddress the phone number or email address for {@code thenChannel}
 */
public record PushFallback(List<PushDevice> devices, Channel thenChannel, String thenAddress) {}
