package dev.notiflow.sinks.email;

import dev.notiflow.sinks.SenderTimeout;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Validated email settings, built by {@link EmailOptions#fromConfig}. Serializable and free of
 * secret values: it names where the SMTP password lives (a file or an environment variable), and
 * {@link #resolvePassword()} reads it inside the task. Immutable.
 *
 * @param host SMTP host
 * @param port SMTP port
 * @param security none, STARTTLS or implicit TLS
 * @param username SMTP AUTH user, or {@code null} for no authentication
 * @param passwordFile file holding the password, or {@code null} to use {@code passwordEnv}
 * @param passwordEnv environment variable holding the password
 * @param trustedCertificateFile PEM certificates to trust for TLS, or {@code null} for the JVM's
 * @param heloName EHLO name, or {@code null} for the machine's name
 * @param from the validated sender address (may carry a display name)
 * @param messageIdDomain the domain part of every Message-ID
 * @param connectTimeout socket connect timeout
 * @param readTimeout server reply timeout
 * @param writeTimeout socket write timeout
 * @param idleCheck idle time after which a pooled connection is checked with NOOP before reuse
 * @param connections SMTP connections kept open (and messages in flight)
 * @param maxQueued messages waiting for a connection before SENDER_BUSY
 * @param maxQueueWait longest a message waits for a connection before SENDER_BUSY, unsent
 * @param maxMessageBytes largest rendered message (subject, text and HTML, UTF-8), else
 *     PAYLOAD_TOO_LARGE
 */
public record EmailSettings(
        String host,
        int port,
        SmtpSecurity security,
        String username,
        String passwordFile,
        String passwordEnv,
        String trustedCertificateFile,
        String heloName,
        String from,
        String messageIdDomain,
        Duration connectTimeout,
        Duration readTimeout,
        Duration writeTimeout,
        Duration idleCheck,
        int connections,
        int maxQueued,
        Duration maxQueueWait,
        int maxMessageBytes)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * Reads the SMTP password from the file or the environment; {@code null} when no user name is
     * configured.
     *
     * @throws IllegalStateException when a user is set but neither holds a password
     */
    public String resolvePassword() {
        if (username == null) {
            return null;
        }
        if (passwordFile != null) {
            try {
                String password =
                        Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
                if (password.isEmpty()) {
                    throw new IllegalStateException(
                            "email.smtp.password-file " + passwordFile + " is empty");
                }
                return password;
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot read email.smtp.password-file "
                                + passwordFile
                                + ": "
                                + e.getMessage(),
                        e);
            }
        }
        String password = System.getenv(passwordEnv);
        if (password == null || password.isEmpty()) {
            throw new IllegalStateException(
                    "the SMTP password is missing: set environment variable "
                            + passwordEnv
                            + " or email.smtp.password-file");
        }
        return password;
    }

    /**
     * The longest this sender takes to answer a send: {@code email.max-queue-wait} for a free
     * connection (a message that waited longer is not sent), then {@code
     * email.smtp.connect-timeout} + {@code email.smtp.read-timeout}, one connect and one stalled
     * server reply. Jakarta Mail's timeouts are per socket operation, so a server slow on every
     * command of a transaction can take longer: keep the async timeout well above this.
     */
    public SenderTimeout ownTimeout() {
        return SenderTimeout.of(EmailOptions.MAX_QUEUE_WAIT.key(), maxQueueWait)
                .plus(EmailOptions.SMTP_CONNECT_TIMEOUT.key(), connectTimeout)
                .plus(EmailOptions.SMTP_READ_TIMEOUT.key(), readTimeout);
    }
}
