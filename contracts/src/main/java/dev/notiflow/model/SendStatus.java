package dev.notiflow.model;

/** What a provider made of one send attempt. */
public enum SendStatus {
    /** The provider took the message. */
    ACCEPTED,
    /** Permanent rejection: retrying cannot help. */
    REJECTED,
    /** Transient failure (5xx, 429, timeout, paused channel): try again later. */
    RETRYABLE
}
