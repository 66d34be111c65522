package dev.notiflow.model;

/** The final status of one notification; see the README's outcome table. */
public enum DeliveryStatus {
    /** The provider accepted it. */
    SENT,
    /** Permanently rejected; never retried. */
    FAILED,
    /** Retryable errors until the last attempt. */
    EXHAUSTED,
    /** Not sent by policy (opt-out, no contact, duplicate, ...). */
    SKIPPED
}
