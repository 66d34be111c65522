package dev.notiflow.sinks.email;

import dev.notiflow.model.SendResult;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

import javax.net.ssl.SSLException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps Jakarta Mail (Angus SMTP) failures to outcomes, following RFC 5321: 4yz is transient, 5yz
 * permanent; 421 means the server is closing the channel. The detail names the SMTP stage, reply
 * code and enhanced status ({@code "RCPT 450 4.2.2"}), never the server's text, which often quotes
 * the recipient's address.
 *
 * <p>Stateless and thread-safe.
 */
final class SmtpFailures {

    /**
     * An outcome and whether the connection that produced it must be dropped.
     *
     * @param result the outcome of the send
     * @param dropConnection whether the pooled connection is unusable (closed by the server,
     *     broken, or in an unknown state)
     */
    record Failure(SendResult result, boolean dropConnection) {}

    private static final Pattern ENHANCED =
            Pattern.compile("(?<![\\d.])([245]\\.\\d{1,3}\\.\\d{1,3})(?![\\d.])");
    private static final Pattern GREETING = Pattern.compile("response: (\\d{3})");
    private static final Pattern LEADING_CODE = Pattern.compile("^\\s*([2-5]\\d\\d)[ -]");

    private SmtpFailures() {}

    static Failure classify(MessagingException e) {
        if (e instanceof AuthenticationFailedException) {
            Integer code = leadingCode(e.getMessage());
            return drop(
                    SendResult.retryable(
                            "CREDENTIALS_REJECTED",
                            detail("AUTH", code == null ? 535 : code, e.getMessage()),
                            null));
        }
        if (e instanceof SMTPAddressFailedException a) {
            return byReply("RCPT", a.getReturnCode(), a.getMessage());
        }
        if (e instanceof SMTPSendFailedException s) {
            SMTPAddressFailedException rcpt = addressFailure(s);
            if (rcpt != null && s.getReturnCode() == rcpt.getReturnCode()) {
                return byReply("RCPT", rcpt.getReturnCode(), rcpt.getMessage());
            }
            return byReply(stage(s.getCommand()), s.getReturnCode(), s.getMessage());
        }
        Failure transport = transportFailure(e);
        if (transport != null) {
            return transport;
        }
        if (e instanceof SendFailedException) {
            SMTPAddressFailedException rcpt = addressFailure(e);
            if (rcpt != null) {
                return byReply("RCPT", rcpt.getReturnCode(), rcpt.getMessage());
            }
            return keep(SendResult.rejected("INVALID_CONTACT", "no valid recipient address"));
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("STARTTLS is required")) {
            // The server offers no STARTTLS although the configuration requires it.
            return drop(
                    SendResult.rejected("CONFIGURATION_ERROR", "server does not offer STARTTLS"));
        }
        Matcher greeting = GREETING.matcher(message);
        if (greeting.find()) {
            int code = Integer.parseInt(greeting.group(1));
            String detail = "greeting " + code;
            if (code == 421 || code / 100 == 4) {
                return drop(SendResult.retryable("PROVIDER_UNAVAILABLE", detail, null));
            }
            return drop(SendResult.retryable("PROVIDER_ERROR", detail, null));
        }
        return drop(
                SendResult.retryable(
                        "PROVIDER_ERROR", "unexpected " + e.getClass().getSimpleName(), null));
    }

    /** The outcome of a failure outside any SMTP reply: connect, TLS, timeouts, broken pipes. */
    static Failure transportFailure(Throwable e) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = next(t)) {
            if (t instanceof InterruptedIOException) {
                return drop(
                        SendResult.retryable(
                                "TIMEOUT",
                                "no answer in time: " + t.getClass().getSimpleName(),
                                null));
            }
            if (t instanceof SSLException) {
                return drop(
                        SendResult.retryable(
                                "CONNECTION_ERROR",
                                "TLS failed: " + t.getClass().getSimpleName(),
                                null));
            }
            if (t instanceof IOException) {
                return drop(
                        SendResult.retryable(
                                "CONNECTION_ERROR",
                                t.getClass().getSimpleName() + ": " + t.getMessage(),
                                null));
            }
        }
        return null;
    }

    private static Failure byReply(String stage, int code, String response) {
        String detail = detail(stage, code, response);
        if (code == 421) {
            return drop(SendResult.retryable("PROVIDER_UNAVAILABLE", detail, null));
        }
        if (code == 530 || code == 534 || code == 535 || code == 538) {
            return drop(SendResult.retryable("CREDENTIALS_REJECTED", detail, null));
        }
        if (code / 100 == 4 || ("RCPT".equals(stage) && code == 552)) {
            // RFC 5321 §4.5.3.1.10: a 552 to RCPT is a full mailbox, to be treated as 452.
            return keep(SendResult.retryable("SMTP_TRANSIENT", detail, null));
        }
        if (code / 100 == 5) {
            String enhanced = enhanced(response);
            if (!"RCPT".equals(stage) && (code == 552 || "5.3.4".equals(enhanced))) {
                return keep(SendResult.rejected("PAYLOAD_TOO_LARGE", detail));
            }
            if ("MAIL".equals(stage)) {
                // The server refuses our sender address: our configuration is wrong.
                return keep(SendResult.rejected("CONFIGURATION_ERROR", detail));
            }
            return keep(SendResult.rejected("RECIPIENT_REJECTED", detail));
        }
        return drop(SendResult.retryable("PROVIDER_ERROR", detail, null));
    }

    private static SMTPAddressFailedException addressFailure(MessagingException e) {
        Set<Exception> seen = new HashSet<>();
        for (Exception n = e.getNextException(); n != null && seen.add(n); ) {
            if (n instanceof SMTPAddressFailedException a) {
                return a;
            }
            n = n instanceof MessagingException m ? m.getNextException() : null;
        }
        return null;
    }

    private static String stage(String command) {
        if (command == null) {
            return "SMTP";
        }
        String c = command.trim().toUpperCase(Locale.ROOT);
        if (c.equals(".") || c.startsWith("DATA") || c.startsWith("BDAT")) {
            return "DATA";
        }
        if (c.startsWith("MAIL")) {
            return "MAIL";
        }
        if (c.startsWith("RCPT")) {
            return "RCPT";
        }
        return "SMTP";
    }

    private static String detail(String stage, int code, String response) {
        String enhanced = enhanced(response);
        return stage + " " + code + (enhanced != null ? " " + enhanced : "");
    }

    static String enhanced(String response) {
        if (response == null) {
            return null;
        }
        Matcher m = ENHANCED.matcher(response);
        return m.find() ? m.group(1) : null;
    }

    private static Integer leadingCode(String response) {
        if (response == null) {
            return null;
        }
        Matcher m = LEADING_CODE.matcher(response);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    private static Throwable next(Throwable t) {
        if (t instanceof MessagingException m && m.getNextException() != null) {
            return m.getNextException();
        }
        return t.getCause();
    }

    private static Failure drop(SendResult r) {
        return new Failure(r, true);
    }

    private static Failure keep(SendResult r) {
        return new Failure(r, false);
    }
}
