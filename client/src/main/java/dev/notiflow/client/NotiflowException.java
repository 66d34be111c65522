package dev.notiflow.client;

/**
 * A request that did not succeed: the gateway's HTTP status and body (e.g. {@code 401}, {@code
 * 422}, or a {@code 429}/{@code 503} that outlasted the {@link RetryPolicy}), or {@code 0} for a
 * failure without an answer (the connection, or Kafka).
 */
public final class NotiflowException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String body;

    public NotiflowException(int status, String body, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.body = body;
    }

    /** The HTTP status, or 0 when there was no answer. */
    public int status() {
        return status;
    }

    /** The answer's body, or {@code null}. */
    public String body() {
        return body;
    }
}
