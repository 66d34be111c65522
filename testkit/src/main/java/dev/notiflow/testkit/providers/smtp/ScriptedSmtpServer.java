package dev.notiflow.testkit.providers.smtp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.notiflow.testkit.providers.ProviderScript;
import dev.notiflow.testkit.providers.ReceivedCall;
import dev.notiflow.testkit.providers.tls.LocalCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small SMTP server on loopback that answers by a {@link ProviderScript}, for the error paths
 * GreenMail cannot produce, and that also accepts and keeps messages so the local run can use it
 * alone.
 *
 * <p>It speaks enough of RFC 5321 for Jakarta Mail: EHLO/HELO, optional AUTH PLAIN and LOGIN, MAIL,
 * RCPT, DATA, RSET, NOOP, QUIT. Per recipient address the script may answer at RCPT, e.g. {@code
 * "email": {"bob@example.com": {"smtp": 550}}} or {@code {"smtp": 450, "enhanced": "4.2.2"}}, or
 * after DATA with {@code "stage": "data"}; an envelope sender named with {@code "stage": "mail"} is
 * refused at MAIL FROM; a 421 answer closes the connection. A scripted transient failure answers
 * RCPT with {@code 451 4.3.0}. {@code latencyMs} delays the reply to the end of DATA (one delay per
 * message) on the connection's own thread, never the accept loop; a recipient's own {@code
 * {"latencyMs": 3000}} delays the messages to it instead. The message is received (and recorded)
 * when the delay ends, whether or not the client still waits for the reply, as a real server that
 * has the whole message keeps it. With {@link #builder()} it can require AUTH and offer STARTTLS or
 * implicit TLS with a self-signed certificate ({@link #trustedCertificateFile()}). {@link
 * #setGreeting} makes new connections see another greeting, such as {@code 421 4.3.2}, to test a
 * server that refuses sessions.
 *
 * <p>Every RCPT failure and every message records a {@link ReceivedCall} (provider {@code email},
 * recipient, the message's Message-ID, the reply code); accepted messages are kept in full ({@link
 * #messages()}, the most recent {@value #MAX_KEPT_MESSAGES}).
 *
 * <pre>{@code
 * try (ScriptedSmtpServer smtp = ScriptedSmtpServer.start(ProviderScript.parse(json))) {
 *     Configuration conf = Configuration.fromMap(smtp.senderConfig());
 *     // build the email sender from conf, send, then assert on smtp.received()
 * }
 * }</pre>
 *
 * <p>Thread-safe: one thread per connection; {@link #setScript} applies to the next command.
 */
public final class ScriptedSmtpServer implements AutoCloseable {

    /** A message the server accepted. */
    public record ReceivedMessage(
            String envelopeFrom,
            List<String> recipients,
            String messageId,
            byte[] raw,
            Instant at) {

        /** The raw message (headers and body) as text. */
        public String rawText() {
            return new String(raw, StandardCharsets.UTF_8);
        }
    }

    public static final int MAX_KEPT_MESSAGES = 1000;

    /** The sender address {@link #senderConfig()} configures. */
    public static final String DEFAULT_FROM = "notifications@notiflow.test";

    private static final Logger LOG = LoggerFactory.getLogger(ScriptedSmtpServer.class);
    private static final int MAX_LINE = 1 << 20;
    private static final Pattern PATH = Pattern.compile("<([^>]*)>");
    private static final Pattern MESSAGE_ID =
            Pattern.compile("(?im)^Message-ID:\\s*(<[^>\\r\\n]*>)");

    private final ServerSocket serverSocket;
    private final ExecutorService connections;
    private final Thread acceptor;
    private final String username;
    private final String password;
    private final Path passwordFile;
    private final TlsMode tls;
    private final LocalCertificate certificate;
    private final SSLContext sslContext;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<ReceivedCall> received = new CopyOnWriteArrayList<>();
    private final Deque<ReceivedMessage> messages = new ArrayDeque<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private volatile ProviderScript script;
    private volatile String greeting = "220 localhost ESMTP notiflow scripted SMTP ready";
    private volatile boolean running = true;

    private ScriptedSmtpServer(
            ProviderScript script,
            String username,
            String password,
            TlsMode tls,
            LocalCertificate certificate)
            throws IOException {
        this.script = script;
        this.username = username;
        this.password = password;
        this.tls = tls;
        if (tls != TlsMode.NONE) {
            this.certificate =
                    certificate != null ? certificate : LocalCertificate.generate("localhost");
            this.sslContext = serverContext(certificate);
        } else {
            this.certificate = null;
            this.sslContext = null;
        }
        if (password != null) {
            this.passwordFile = Files.createTempFile("scripted-smtp", ".password");
            Files.writeString(passwordFile, password);
        } else {
            this.passwordFile = null;
        }
        this.serverSocket =
                tls == TlsMode.IMPLICIT
                        ? sslContext
                                .getServerSocketFactory()
                                .createServerSocket(0, 128, InetAddress.getLoopbackAddress())
                        : new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        AtomicInteger n = new AtomicInteger();
        this.connections =
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "scripted-smtp-" + n.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
        this.acceptor = new Thread(this::acceptLoop, "scripted-smtp-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("Scripted SMTP server listening on {}:{}", host(), port());
    }

    /** Starts a server that accepts everything, without authentication. */
    public static ScriptedSmtpServer start() throws IOException {
        return start(ProviderScript.acceptAll());
    }

    /** Starts a server that answers by the script, without authentication. */
    public static ScriptedSmtpServer start(ProviderScript script) throws IOException {
        return builder().script(script).start();
    }

    /** A builder for a server with authentication and/or TLS. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a server that requires AUTH (PLAIN or LOGIN) with these credentials before MAIL, and
     * answers wrong ones with {@code 535 5.7.8}.
     */
    public static ScriptedSmtpServer startWithAuth(
            ProviderScript script, String username, String password) throws IOException {
        return builder().script(script).auth(username, password).start();
    }

    /** How a server protects its connections. */
    public enum TlsMode {
        /** Plain SMTP only. */
        NONE,
        /** Plain connect, STARTTLS offered and required before AUTH and MAIL. */
        STARTTLS,
        /** TLS from the first byte (SMTPS). */
        IMPLICIT
    }

    /**
     * Configures a {@link ScriptedSmtpServer}. With TLS the server presents a fresh self-signed
     * certificate for {@code localhost}/{@code 127.0.0.1}; {@link #trustedCertificateFile()} is
     * what the client trusts.
     *
     * <pre>{@code
     * ScriptedSmtpServer smtp = ScriptedSmtpServer.builder()
     *         .auth("mailer", "secret").tls(TlsMode.STARTTLS).start();
     * }</pre>
     */
    public static final class Builder {
        private ProviderScript script = ProviderScript.acceptAll();
        private String username;
        private String password;
        private TlsMode tls = TlsMode.NONE;
        private LocalCertificate certificate;

        private Builder() {}

        public Builder script(ProviderScript script) {
            this.script = script;
            return this;
        }

        /** Requires AUTH PLAIN or LOGIN with these credentials before MAIL. */
        public Builder auth(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        public Builder tls(TlsMode tls) {
            this.tls = tls;
            return this;
        }

        /**
         * The certificate to present with TLS (its SANs must cover localhost); by default a new one
         * is generated, which takes a few seconds of keytool.
         */
        public Builder certificate(LocalCertificate certificate) {
            this.certificate = certificate;
            return this;
        }

        public ScriptedSmtpServer start() throws IOException {
            return new ScriptedSmtpServer(script, username, password, tls, certificate);
        }
    }

    /**
     * The host name clients connect to: {@code localhost} with TLS (the name the certificate is
     * checked against), otherwise the loopback address.
     */
    public String host() {
        return tls == TlsMode.NONE ? serverSocket.getInetAddress().getHostAddress() : "localhost";
    }

    /** The PEM certificate a client trusts for this server's TLS; {@code null} without TLS. */
    public Path trustedCertificateFile() {
        return certificate == null ? null : certificate.certificatePemFile();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    /** A file holding the password, for {@code email.smtp.password-file}; {@code null} if none. */
    public Path passwordFile() {
        return passwordFile;
    }

    /**
     * The configuration entries that point the email sender at this server: plain SMTP, the
     * credentials when it requires AUTH, and {@link #DEFAULT_FROM} as sender.
     */
    public Map<String, String> senderConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("email.smtp.host", host());
        conf.put("email.smtp.port", String.valueOf(port()));
        conf.put(
                "email.smtp.security",
                tls == TlsMode.NONE ? "none" : tls == TlsMode.STARTTLS ? "starttls" : "tls");
        if (certificate != null) {
            conf.put("email.smtp.trusted-certificate-file", trustedCertificateFile().toString());
        }
        conf.put("email.from", DEFAULT_FROM);
        if (username != null) {
            conf.put("email.smtp.username", username);
            conf.put("email.smtp.password-file", passwordFile.toString());
        }
        return conf;
    }

    public void setScript(ProviderScript script) {
        this.script = script;
    }

    /**
     * The greeting for new connections, e.g. {@code setGreeting(421, "4.3.2 Service not
     * available")}; a non-220 greeting closes the connection after it is sent.
     */
    public void setGreeting(int code, String text) {
        this.greeting = code + " " + text;
    }

    /** Every RCPT failure and every message so far, in order. */
    public List<ReceivedCall> received() {
        return new ArrayList<>(received);
    }

    /** The messages accepted so far (the most recent {@value #MAX_KEPT_MESSAGES}). */
    public List<ReceivedMessage> messages() {
        synchronized (messages) {
            return new ArrayList<>(messages);
        }
    }

    /** How many SMTP sessions (connections) were opened since start or {@link #clear()}. */
    public int sessionCount() {
        return sessions.get();
    }

    /** Forgets the received calls, the messages and the session count. */
    public void clear() {
        received.clear();
        sessions.set(0);
        synchronized (messages) {
            messages.clear();
        }
    }

    /** Drops every open connection, as a server restart would; the server keeps listening. */
    public void dropConnections() {
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            serverSocket.close();
        } catch (IOException e) {
            LOG.debug("Closing the server socket failed", e);
        }
        dropConnections();
        connections.shutdownNow();
        if (passwordFile != null) {
            try {
                Files.deleteIfExists(passwordFile);
            } catch (IOException e) {
                LOG.debug("Could not delete the password file", e);
            }
        }
    }

    private void acceptLoop() {
        while (running) {
            try {
                Socket socket = serverSocket.accept();
                sessions.incrementAndGet();
                open.add(socket);
                connections.execute(() -> serve(socket));
            } catch (IOException e) {
                if (running) {
                    LOG.warn("Scripted SMTP accept failed", e);
                }
            }
        }
    }

    private void serve(Socket socket) {
        Session session = null;
        try {
            socket.setTcpNoDelay(true);
            session = new Session(socket);
            session.run();
        } catch (SocketException e) {
            LOG.debug("SMTP connection closed: {}", e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.debug("SMTP session ended with an error", e);
        } finally {
            open.remove(socket);
            closeQuietly(socket);
            if (session != null && session.socket != socket) {
                open.remove(session.socket);
                closeQuietly(session.socket);
            }
        }
    }

    /** One SMTP session; runs on its connection's thread. */
    private final class Session {
        private Socket socket;
        private InputStream in;
        private OutputStream out;
        private boolean secure;
        private boolean authenticated;
        private String from;
        private final List<String> recipients = new ArrayList<>();
        private final Map<String, JsonNode> dataAnswers = new LinkedHashMap<>();

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.secure = tls == TlsMode.IMPLICIT;
        }

        /** Upgrades the connection after STARTTLS; the client starts over with EHLO. */
        private void startTls() throws IOException {
            SSLSocket ssl =
                    (SSLSocket)
                            sslContext
                                    .getSocketFactory()
                                    .createSocket(
                                            socket,
                                            socket.getInetAddress().getHostAddress(),
                                            socket.getPort(),
                                            true);
            ssl.setUseClientMode(false);
            ssl.startHandshake();
            open.remove(socket);
            open.add(ssl);
            socket = ssl;
            in = ssl.getInputStream();
            out = ssl.getOutputStream();
            secure = true;
            authenticated = username == null;
            reset();
        }

        void run() throws IOException {
            String hello = greeting;
            reply(hello);
            if (!hello.startsWith("220")) {
                return;
            }
            authenticated = username == null;
            String line;
            while ((line = readLine()) != null) {
                String upper = line.toUpperCase(Locale.ROOT);
                if (upper.startsWith("EHLO")) {
                    reset();
                    StringBuilder sb = new StringBuilder("250-localhost greets you\r\n");
                    sb.append("250-8BITMIME\r\n");
                    sb.append("250-SIZE 10485760\r\n");
                    if (tls == TlsMode.STARTTLS && !secure) {
                        sb.append("250-STARTTLS\r\n");
                    }
                    if (username != null) {
                        sb.append("250-AUTH PLAIN LOGIN\r\n");
                    }
                    sb.append("250 ENHANCEDSTATUSCODES");
                    reply(sb.toString());
                } else if (upper.startsWith("HELO")) {
                    reset();
                    reply("250 localhost");
                } else if (upper.equals("STARTTLS")) {
                    if (tls != TlsMode.STARTTLS || secure) {
                        reply("503 5.5.1 TLS already active or not available");
                        continue;
                    }
                    reply("220 2.0.0 Ready to start TLS");
                    startTls();
                } else if (!secure
                        && tls == TlsMode.STARTTLS
                        && (upper.startsWith("AUTH") || upper.startsWith("MAIL"))) {
                    reply("530 5.7.0 Must issue a STARTTLS command first");
                } else if (upper.startsWith("AUTH")) {
                    auth(line);
                } else if (upper.startsWith("MAIL FROM:")) {
                    if (!authenticated) {
                        reply("530 5.7.0 Authentication required");
                        continue;
                    }
                    reset();
                    String sender = path(line.substring(10));
                    JsonNode refusal = script.answerFor("email", sender);
                    if (refusal != null
                            && refusal.has("smtp")
                            && "mail".equals(refusal.path("stage").asText())) {
                        int code = refusal.get("smtp").asInt();
                        reply(
                                code
                                        + " "
                                        + enhanced(refusal, code)
                                        + " "
                                        + refusal.path("message").asText(words(code)));
                        if (code == 421) {
                            return;
                        }
                        continue;
                    }
                    from = sender;
                    reply("250 2.1.0 OK");
                } else if (upper.startsWith("RCPT TO:")) {
                    if (from == null) {
                        reply("503 5.5.1 MAIL first");
                        continue;
                    }
                    if (!rcpt(path(line.substring(8)))) {
                        return;
                    }
                } else if (upper.equals("DATA")) {
                    if (recipients.isEmpty()) {
                        reply("554 5.5.1 No valid recipients");
                        continue;
                    }
                    reply("354 End data with <CR><LF>.<CR><LF>");
                    byte[] raw = readData();
                    if (!endOfData(raw)) {
                        return;
                    }
                } else if (upper.equals("RSET")) {
                    reset();
                    reply("250 2.0.0 OK");
                } else if (upper.startsWith("NOOP")) {
                    reply("250 2.0.0 OK");
                } else if (upper.equals("QUIT")) {
                    reply("221 2.0.0 Bye");
                    return;
                } else {
                    reply("502 5.5.2 Command not recognized");
                }
            }
        }

        /** Answers one RCPT; returns false when the connection must close (421). */
        private boolean rcpt(String address) throws IOException {
            ProviderScript current = script;
            JsonNode answer = current.answerFor("email", address);
            int code;
            String text;
            if (answer != null
                    && answer.has("smtp")
                    && !"data".equals(answer.path("stage").asText())) {
                code = answer.get("smtp").asInt();
                text = enhanced(answer, code) + " " + answer.path("message").asText(words(code));
            } else if (current.nextIsTransientFailure()) {
                code = 451;
                text = "4.3.0 Temporary local problem, try again later";
            } else {
                if (answer != null && answer.has("smtp")) {
                    dataAnswers.put(address, answer);
                }
                recipients.add(address);
                reply("250 2.1.5 OK");
                return true;
            }
            received.add(new ReceivedCall("email", address, null, Instant.now(), code));
            reply(code + " " + text);
            return code != 421;
        }

        /** Answers the end of DATA; returns false when the connection must close (421). */
        private boolean endOfData(byte[] raw) throws IOException {
            long latency = script.latencyMs();
            ProviderScript current = script;
            for (String r : recipients) {
                JsonNode answer = current.answerFor("email", r);
                if (answer != null && answer.has("latencyMs")) {
                    latency = Math.max(latency, answer.get("latencyMs").asLong());
                }
            }
            if (latency > 0) {
                try {
                    Thread.sleep(latency);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            String messageId = messageId(raw);
            JsonNode failure =
                    dataAnswers.isEmpty() ? null : dataAnswers.values().iterator().next();
            int code = failure == null ? 250 : failure.get("smtp").asInt();
            Instant now = Instant.now();
            for (String r : recipients) {
                received.add(new ReceivedCall("email", r, messageId, now, code));
            }
            if (failure == null) {
                synchronized (messages) {
                    messages.addLast(
                            new ReceivedMessage(
                                    from, List.copyOf(recipients), messageId, raw, now));
                    while (messages.size() > MAX_KEPT_MESSAGES) {
                        messages.removeFirst();
                    }
                }
                reply(
                        "250 2.0.0 OK queued as "
                                + Integer.toHexString(raw.length)
                                + now.toEpochMilli());
            } else {
                reply(
                        code
                                + " "
                                + enhanced(failure, code)
                                + " "
                                + failure.path("message").asText(words(code)));
            }
            reset();
            return code != 421;
        }

        private void auth(String line) throws IOException {
            if (username == null) {
                reply("503 5.5.1 AUTH not available");
                return;
            }
            String[] parts = line.trim().split("\\s+");
            String mechanism = parts.length > 1 ? parts[1].toUpperCase(Locale.ROOT) : "";
            String user;
            String pass;
            if (mechanism.equals("PLAIN")) {
                String encoded = parts.length > 2 ? parts[2] : challenge("");
                if (encoded == null) {
                    return;
                }
                String[] fields = decode(encoded).split("\u0000", -1);
                if (fields.length != 3) {
                    reply("501 5.5.2 Malformed AUTH PLAIN");
                    return;
                }
                user = fields[1];
                pass = fields[2];
            } else if (mechanism.equals("LOGIN")) {
                String u = parts.length > 2 ? parts[2] : challenge("VXNlcm5hbWU6");
                if (u == null) {
                    return;
                }
                String p = challenge("UGFzc3dvcmQ6");
                if (p == null) {
                    return;
                }
                user = decode(u);
                pass = decode(p);
            } else {
                reply("504 5.5.4 Unrecognized authentication type");
                return;
            }
            if (username.equals(user) && password.equals(pass)) {
                authenticated = true;
                reply("235 2.7.0 Authentication successful");
            } else {
                reply("535 5.7.8 Authentication credentials invalid");
            }
        }

        private String challenge(String prompt) throws IOException {
            reply("334 " + prompt);
            return readLine();
        }

        private void reset() {
            from = null;
            recipients.clear();
            dataAnswers.clear();
        }

        private byte[] readData() throws IOException {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            String line;
            while ((line = readLineRaw()) != null) {
                if (line.equals(".")) {
                    break;
                }
                String unstuffed = line.startsWith(".") ? line.substring(1) : line;
                data.writeBytes(unstuffed.getBytes(StandardCharsets.ISO_8859_1));
                data.write('\r');
                data.write('\n');
            }
            return data.toByteArray();
        }

        private String readLine() throws IOException {
            return readLineRaw();
        }

        /** One line without its CRLF, bytes as ISO-8859-1 so 8-bit data survives. */
        private String readLineRaw() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int len = bytes.length;
                    if (len > 0 && bytes[len - 1] == '\r') {
                        len--;
                    }
                    return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
                }
                if (line.size() >= MAX_LINE) {
                    throw new IOException("line too long");
                }
                line.write(b);
            }
            return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
        }

        private void reply(String text) throws IOException {
            out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    private static String path(String arg) {
        Matcher m = PATH.matcher(arg);
        return m.find() ? m.group(1) : arg.trim();
    }

    private static String messageId(byte[] raw) {
        // Headers end at the first empty line; Message-ID is always ASCII.
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        Matcher m = MESSAGE_ID.matcher(end < 0 ? text : text.substring(0, end));
        return m.find() ? m.group(1) : null;
    }

    private static String decode(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static String enhanced(JsonNode answer, int code) {
        if (answer.hasNonNull("enhanced")) {
            return answer.get("enhanced").asText();
        }
        switch (code) {
            case 421:
                return "4.3.2";
            case 450:
                return "4.2.1";
            case 451:
                return "4.3.0";
            case 452:
                return "4.2.2";
            case 550:
                return "5.1.1";
            case 551:
                return "5.1.6";
            case 552:
                return "5.2.2";
            case 553:
                return "5.1.3";
            case 554:
                return "5.7.1";
            default:
                return code / 100 + ".0.0";
        }
    }

    private static String words(int code) {
        if (code == 421) {
            return "Service not available, closing transmission channel";
        }
        return code >= 500
                ? "Requested action not taken"
                : "Requested action aborted, try again later";
    }

    private static SSLContext serverContext(LocalCertificate certificate) throws IOException {
        try (InputStream in = Files.newInputStream(certificate.pkcs12File())) {
            char[] pass = certificate.pkcs12Password().toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, pass);
            KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, pass);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build the server's TLS context", e);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            LOG.debug("Closing a connection failed", e);
        }
    }
}
