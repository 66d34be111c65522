package dev.notiflow.serde;

/** Thrown by the parsers for a record that breaks its topic contract; carries the rejection. */
public final class InvalidRecordException extends Exception {

    private final Rejection rejection;

    public InvalidRecordException(String reason, String detail) {
        super(reason + ": " + detail, null, false, false);
        this.rejection = new Rejection(reason, detail);
    }

    public Rejection rejection() {
        return rejection;
    }
}
