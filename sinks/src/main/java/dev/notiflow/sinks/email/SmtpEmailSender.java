package dev.notiflow.sinks.email;

import dev.notiflow.model.Content;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Date;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends email over SMTP with Jakarta Mail (Angus).
 *
 * <p>Each message is multipart/alternative (plain text and HTML; a single part when only one is
 * given), UTF-8, with the subject RFC 2047-encoded and the Message-ID {@code
 * <notificationId@email.message-id-domain>}, so a resend of the same notification carries the same
 * id. The recipient address, the subject and the sender are checked before anything is sent: an
 * invalid address or a CR/LF (or other control character) in a header field is REJECTED
 * INVALID_CONTACT, and a message over {@code email.max-message-bytes} (subject, text and HTML in
 * UTF-8) is REJECTED PAYLOAD_TOO_LARGE.
 *
 * <p>SMTP blocks, so sends run on this sender's own pool of {@code email.connections} threads, each
 * with a connected {@link Transport} that is reused across messages (reconnecting when the server
 * closed it; checked with NOOP after {@code email.smtp.idle-check} idle). Up to {@code
 * email.max-queued} messages wait; beyond that a send completes at once with RETRYABLE SENDER_BUSY,
 * and a message that waited longer than {@code email.max-queue-wait} is answered SENDER_BUSY
 * without being sent. Server replies map by {@link SmtpFailures}: 4yz RETRYABLE SMTP_TRANSIENT, 5yz
 * REJECTED RECIPIENT_REJECTED, 421 PROVIDER_UNAVAILABLE, 535 CREDENTIALS_REJECTED, refused or
 * broken connections CONNECTION_ERROR, timeouts TIMEOUT.
 *
 * <p>Thread-safe and long-lived: create one per task through {@link SmtpEmailSenderFactory} and
 * {@link #close()} it with the task.
 */
public final class SmtpEmailSender implements ChannelSender {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpEmailSender.class);
    private static final String PROTOCOL = "smtp";

    private final EmailSettings settings;
    private final String password;
    private final Session session;
    private final InternetAddress from;
    private final BlockingQueue<PooledTransport> pool;
    private final ThreadPoolExecutor executor;
    private final ScheduledExecutorService writeTimeouts;

    /**
     * Builds the mail session, the connection pool and its threads. Connections open lazily, on the
     * first message of each.
     *
     * @param settings validated settings
     * @param password the SMTP password, or {@code null} without authentication
     */
    public SmtpEmailSender(EmailSettings settings, String password) {
        this.settings = settings;
        this.password = password;
        // One timer thread for every connection's write timeout, instead of one per socket.
        this.writeTimeouts =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "smtp-write-timeouts");
                            t.setDaemon(true);
                            return t;
                        });
        Properties properties = sessionProperties(settings);
        properties.put("mail." + PROTOCOL + ".executor.writetimeout", writeTimeouts);
        this.session = Session.getInstance(properties);
        try {
            this.from = new InternetAddress(settings.from(), true);
        } catch (AddressException e) {
            throw new IllegalArgumentException("email.from is not a valid address", e);
        }
        this.pool = new ArrayBlockingQueue<>(settings.connections());
        for (int i = 0; i < settings.connections(); i++) {
            pool.add(new PooledTransport());
        }
        AtomicInteger n = new AtomicInteger();
        // Mail providers are looked up through the context class loader: keep the one that
        // loaded this sender (the job's user code class loader on a cluster).
        ClassLoader loader = SmtpEmailSender.class.getClassLoader();
        this.executor =
                new ThreadPoolExecutor(
                        settings.connections(),
                        settings.connections(),
                        60,
                        TimeUnit.SECONDS,
                        new ArrayBlockingQueue<>(settings.maxQueued()),
                        r -> {
                            Thread t = new Thread(r, "smtp-sender-" + n.incrementAndGet());
                            t.setDaemon(true);
                            t.setContextClassLoader(loader);
                            return t;
                        },
                        new ThreadPoolExecutor.AbortPolicy());
        LOG.info(
                "SMTP sender ready: {}:{} ({}), {} connections, {} queued",
                settings.host(),
                settings.port(),
                settings.security(),
                settings.connections(),
                settings.maxQueued());
    }

    @Override
    public CompletableFuture<SendResult> send(SendRequest request) {
        Prepared prepared;
        try {
            prepared = prepare(request);
        } catch (Rejection r) {
            LOG.debug(
                    "Email {} to {} rejected before sending: {}",
                    request.notificationId(),
                    mask(request.address()),
                    r.result.reason());
            return CompletableFuture.completedFuture(r.result);
        } catch (MessagingException e) {
            return CompletableFuture.completedFuture(
                    SendResult.rejected(
                            "INVALID_REQUEST",
                            "message could not be built: " + e.getClass().getSimpleName()));
        }
        long queuedAt = System.nanoTime();
        try {
            return CompletableFuture.supplyAsync(
                    () -> sendIfNotStale(request, prepared, queuedAt), executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(
                    SendResult.retryable(
                            "SENDER_BUSY",
                            executor.isShutdown()
                                    ? "sender closed"
                                    : "email send queue full ("
                                            + settings.maxQueued()
                                            + " waiting)",
                            null));
        }
    }

    private record Prepared(MimeMessage message, InternetAddress to, String messageId) {}

    /** A request that must not be sent, with its outcome. */
    private static final class Rejection extends Exception {
        private static final long serialVersionUID = 1L;
        final transient SendResult result;

        Rejection(String reason, String detail) {
            super(reason, null, false, false);
            this.result = SendResult.rejected(reason, detail);
        }
    }

    private static long utf8Bytes(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private Prepared prepare(SendRequest request) throws Rejection, MessagingException {
        String address = request.address();
        if (address == null || address.isBlank()) {
            throw new Rejection("INVALID_CONTACT", "missing email address");
        }
        if (hasControlChars(address)) {
            throw new Rejection("INVALID_CONTACT", "line break or control character in address");
        }
        InternetAddress to;
        try {
            to = new InternetAddress(address, true);
            to.validate();
        } catch (AddressException e) {
            throw new Rejection("INVALID_CONTACT", "not a valid email address");
        }
        if (to.isGroup() || to.getPersonal() != null || !address.trim().equals(to.getAddress())) {
            throw new Rejection("INVALID_CONTACT", "not a single plain email address");
        }
        Content content = request.content();
        String subject = content == null ? null : firstNonNull(content.subject(), content.title());
        if (subject == null || subject.isBlank()) {
            throw new Rejection("INVALID_REQUEST", "missing email subject");
        }
        if (hasControlChars(subject)) {
            throw new Rejection("INVALID_CONTACT", "line break or control character in subject");
        }
        String text = content.text();
        String html = content.html();
        if (isBlank(text) && isBlank(html)) {
            throw new Rejection("INVALID_REQUEST", "empty email body");
        }
        long size = utf8Bytes(subject) + utf8Bytes(text) + utf8Bytes(html);
        if (size > settings.maxMessageBytes()) {
            throw new Rejection(
                    "PAYLOAD_TOO_LARGE",
                    "message " + size + " bytes exceeds " + settings.maxMessageBytes());
        }
        String notificationId = request.notificationId();
        if (notificationId == null || notificationId.isEmpty()) {
            throw new Rejection("INVALID_REQUEST", "missing notification id");
        }
        String messageId = messageId(notificationId, settings.messageIdDomain());
        MimeMessage message = new FixedIdMimeMessage(session, messageId);
        message.setFrom(from);
        message.setRecipient(Message.RecipientType.TO, to);
        message.setSubject(subject, StandardCharsets.UTF_8.name());
        message.setSentDate(new Date());
        message.setHeader("Auto-Submitted", "auto-generated");
        if (!isBlank(text) && !isBlank(html)) {
            MimeMultipart alternative = new MimeMultipart("alternative");
            MimeBodyPart plain = new MimeBodyPart();
            plain.setText(text, StandardCharsets.UTF_8.name(), "plain");
            MimeBodyPart rich = new MimeBodyPart();
            rich.setText(html, StandardCharsets.UTF_8.name(), "html");
            alternative.addBodyPart(plain);
            alternative.addBodyPart(rich);
            message.setContent(alternative);
        } else if (!isBlank(text)) {
            message.setText(text, StandardCharsets.UTF_8.name(), "plain");
        } else {
            message.setText(html, StandardCharsets.UTF_8.name(), "html");
        }
        message.saveChanges();
        return new Prepared(message, to, messageId);
    }

    /**
     * Sends unless the message waited longer than {@code email.max-queue-wait} for a connection:
     * the job's own timeout counts that wait too, and a message sent after the job gave up on it
     * would be sent again by its retry.
     */
    private SendResult sendIfNotStale(SendRequest request, Prepared prepared, long queuedAt) {
        long waited = System.nanoTime() - queuedAt;
        if (waited > settings.maxQueueWait().toNanos()) {
            return SendResult.retryable(
                    "SENDER_BUSY",
                    "waited " + waited / 1_000_000 + " ms for an SMTP connection, not sent",
                    null);
        }
        return sendNow(request, prepared);
    }

    private SendResult sendNow(SendRequest request, Prepared prepared) {
        PooledTransport connection;
        try {
            connection = pool.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SendResult.retryable("SENDER_BUSY", "sender closing", null);
        }
        try {
            SendResult result = connection.send(prepared);
            if (result.status() == SendStatus.ACCEPTED) {
                LOG.debug(
                        "Email {} to {} accepted",
                        request.notificationId(),
                        mask(request.address()));
            } else {
                LOG.debug(
                        "Email {} to {} not accepted: {} {} ({})",
                        request.notificationId(),
                        mask(request.address()),
                        result.status(),
                        result.reason(),
                        result.detail());
            }
            return result;
        } finally {
            pool.add(connection);
        }
    }

    /** One reusable SMTP connection; used by one thread at a time (taken from the pool). */
    private final class PooledTransport {
        private Transport transport;
        private long lastUsedNanos;

        SendResult send(Prepared prepared) {
            try {
                ensureConnected();
            } catch (MessagingException e) {
                disconnect();
                return SmtpFailures.classify(e).result();
            }
            Address[] recipients = {prepared.to()};
            try {
                try {
                    transport.sendMessage(prepared.message(), recipients);
                } catch (IllegalStateException notConnected) {
                    // The library dropped the connection after an earlier I/O error; nothing of
                    // this message was sent yet, so a fresh connection is safe.
                    disconnect();
                    ensureConnected();
                    transport.sendMessage(prepared.message(), recipients);
                }
                lastUsedNanos = System.nanoTime();
                return SendResult.accepted(prepared.messageId());
            } catch (MessagingException e) {
                SmtpFailures.Failure failure = SmtpFailures.classify(e);
                if (failure.dropConnection()) {
                    disconnect();
                } else {
                    lastUsedNanos = System.nanoTime();
                }
                return failure.result();
            } catch (RuntimeException e) {
                disconnect();
                LOG.warn("Email send failed unexpectedly: {}", e.getClass().getName());
                return SendResult.retryable(
                        "PROVIDER_ERROR", "unexpected " + e.getClass().getSimpleName(), null);
            }
        }

        private void ensureConnected() throws MessagingException {
            if (transport != null) {
                long idle = System.nanoTime() - lastUsedNanos;
                if (idle < settings.idleCheck().toNanos() || transport.isConnected()) {
                    return;
                }
                LOG.debug("Pooled SMTP connection was closed by the server; reconnecting");
                disconnect();
            }
            Transport t = session.getTransport(PROTOCOL);
            t.connect(settings.host(), settings.port(), settings.username(), password);
            transport = t;
            lastUsedNanos = System.nanoTime();
        }

        void disconnect() {
            if (transport == null) {
                return;
            }
            try {
                transport.close();
            } catch (MessagingException | RuntimeException e) {
                LOG.debug("Closing an SMTP connection failed: {}", e.getClass().getSimpleName());
            }
            transport = null;
        }
    }

    /** A MIME message whose Message-ID is ours, not one Jakarta Mail makes up on save. */
    private static final class FixedIdMimeMessage extends MimeMessage {
        private final String messageId;

        FixedIdMimeMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }

    /**
     * The Message-ID for a notification: {@code <notificationId@domain>}. Characters that may not
     * appear in a Message-ID's left part are written as {@code =XX} (UTF-8 hex), so the mapping
     * stays one-to-one.
     */
    static String messageId(String notificationId, String domain) {
        StringBuilder sb = new StringBuilder(notificationId.length() + domain.length() + 3);
        sb.append('<');
        for (byte b : notificationId.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && c != '=' && isAtext(c)) {
                sb.append(c);
            } else {
                sb.append('=').append(String.format("%02X", b & 0xff));
            }
        }
        return sb.append('@').append(domain).append('>').toString();
    }

    private static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-/?^_`{|}~.".indexOf(c) >= 0;
    }

    private static Properties sessionProperties(EmailSettings s) {
        Properties p = new Properties();
        String prefix = "mail." + PROTOCOL + ".";
        p.put(prefix + "host", s.host());
        p.put(prefix + "port", String.valueOf(s.port()));
        p.put(prefix + "connectiontimeout", String.valueOf(s.connectTimeout().toMillis()));
        p.put(prefix + "timeout", String.valueOf(s.readTimeout().toMillis()));
        p.put(prefix + "writetimeout", String.valueOf(s.writeTimeout().toMillis()));
        p.put(prefix + "auth", String.valueOf(s.username() != null));
        p.put(prefix + "quitwait", "false");
        if (s.heloName() != null) {
            p.put(prefix + "localhost", s.heloName());
        }
        switch (s.security()) {
            case STARTTLS:
                p.put(prefix + "starttls.enable", "true");
                p.put(prefix + "starttls.required", "true");
                break;
            case TLS:
                p.put(prefix + "ssl.enable", "true");
                break;
            default:
                break;
        }
        if (s.security() != SmtpSecurity.NONE) {
            p.put(prefix + "ssl.checkserveridentity", "true");
            if (s.trustedCertificateFile() != null) {
                p.put(prefix + "ssl.socketFactory", trustingOnly(s.trustedCertificateFile()));
            }
        }
        return p;
    }

    private static SSLSocketFactory trustingOnly(String pemFile) {
        try (InputStream in = Files.newInputStream(Path.of(pemFile))) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate cert :
                    CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("trusted-" + i++, cert);
            }
            if (i == 0) {
                throw new IllegalArgumentException(
                        "email.smtp.trusted-certificate-file holds no certificate: " + pemFile);
            }
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot load email.smtp.trusted-certificate-file "
                            + pemFile
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        PooledTransport t;
        while ((t = pool.poll()) != null) {
            t.disconnect();
        }
        writeTimeouts.shutdownNow();
        LOG.info("SMTP sender closed");
    }

    private static boolean hasControlChars(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || (Character.isISOControl(c) && c != '\t')) {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    /** Masks an address for logs: the first 4 characters and an ellipsis. */
    static String mask(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() <= 4 ? "…" : value.substring(0, 4) + "…";
    }
}
