package dev.notiflow.sinks.email;

/**
 * How the SMTP connection is protected; configured as {@code none}, {@code starttls} or {@code
 * tls}.
 */
public enum SmtpSecurity {
    /** Plain SMTP: only for a local or otherwise trusted network. */
    NONE,
    /** Plain connect, then a required STARTTLS upgrade before AUTH and MAIL (port 587). */
    STARTTLS,
    /** Implicit TLS from the first byte (port 465). */
    TLS
}
