package dev.notiflow.client;

import dev.notiflow.serde.Rejection;

/**
 * A request that breaks its topic contract, found on the caller's side before anything is sent:
 * {@link #rejection()} is exactly what the job would have put on the DLQ (or the gateway in its
 * {@code rejected} answer), e.g. {@code MISSING_FIELD} / {@code userIds: is required}.
 */
public final class ValidationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient Rejection rejection;

    public ValidationException(Rejection rejection) {
        super(rejection.reason() + ": " + rejection.detail());
        this.rejection = rejection;
    }

    /** The reason and detail, as the DLQ gives them. */
    public Rejection rejection() {
        return rejection;
    }
}
