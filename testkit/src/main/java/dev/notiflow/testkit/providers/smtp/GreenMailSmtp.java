package dev.notiflow.testkit.providers.smtp;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GreenMail SMTP server on a free loopback port: a real mail server that stores what it receives,
 * so a test can read back the MIME message the email sender produced (Message-ID, parts, encoded
 * subject). It accepts every recipient; use {@link ScriptedSmtpServer} for per-recipient failures.
 *
 * <pre>{@code
 * try (GreenMailSmtp mail = GreenMailSmtp.start()) {
 *     Configuration conf = Configuration.fromMap(mail.senderConfig());
 *     // send through the email sender, then
 *     MimeMessage m = mail.awaitMessages(1, 5_000).get(0);
 * }
 * }</pre>
 *
 * <p>Thread-safe as GreenMail is.
 */
public final class GreenMailSmtp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GreenMailSmtp.class);

    private final GreenMail greenMail;

    private GreenMailSmtp() {
        ServerSetup setup =
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort();
        this.greenMail =
                new GreenMail(setup)
                        .withConfiguration(
                                GreenMailConfiguration.aConfig().withDisabledAuthentication());
        greenMail.start();
        LOG.info("GreenMail SMTP listening on 127.0.0.1:{}", port());
    }

    /** Starts GreenMail's SMTP service. */
    public static GreenMailSmtp start() {
        return new GreenMailSmtp();
    }

    /** The running GreenMail, for anything this wrapper does not expose. */
    public GreenMail greenMail() {
        return greenMail;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return greenMail.getSmtp().getPort();
    }

    /** The configuration entries that point the email sender at this server (plain SMTP). */
    public Map<String, String> senderConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("email.smtp.host", host());
        conf.put("email.smtp.port", String.valueOf(port()));
        conf.put("email.smtp.security", "none");
        conf.put("email.from", ScriptedSmtpServer.DEFAULT_FROM);
        return conf;
    }

    /** Waits until at least {@code count} messages arrived, then returns all of them. */
    public List<MimeMessage> awaitMessages(int count, long timeoutMillis) {
        greenMail.waitForIncomingEmail(timeoutMillis, count);
        return messages();
    }

    /** Every message received so far (one per recipient). */
    public List<MimeMessage> messages() {
        return Arrays.asList(greenMail.getReceivedMessages());
    }

    /** Deletes every received message. */
    public void clear() {
        try {
            greenMail.purgeEmailFromAllMailboxes();
        } catch (FolderException e) {
            throw new IllegalStateException("GreenMail could not purge its mailboxes", e);
        }
    }

    @Override
    public void close() {
        greenMail.stop();
    }
}
