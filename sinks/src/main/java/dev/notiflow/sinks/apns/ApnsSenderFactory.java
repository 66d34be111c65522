package dev.notiflow.sinks.apns;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Builds an {@link ApnsSender} inside a task: loads the signing key (or the PKCS#12 client
 * certificate and its password) from files or the environment, and builds one long-lived Pushy
 * client with {@link ApnsSettings#connections()} connections.
 *
 * <pre>{@code
 * SenderFactory apns = new ApnsSenderFactory(ApnsOptions.fromConfig(conf));
 * try (ChannelSender sender = apns.create()) { ... }
 * }</pre>
 *
 * <p>Serializable (settings only); {@link #create()} throws {@link IllegalStateException} when a
 * key, certificate or CA file cannot be read, which fails the task at open with the reason.
 */
public final class ApnsSenderFactory implements SenderFactory {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApnsSenderFactory.class);

    private final ApnsSettings settings;

    public ApnsSenderFactory(ApnsSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public ApnsSettings settings() {
        return settings;
    }

    @Override
    public ChannelSender create() {
        // One I/O thread serves all connections of a sender; the sender shuts it down on close.
        EventLoopGroup eventLoop = new NioEventLoopGroup(1);
        try {
            return new ApnsSender(
                    buildClient(settings, eventLoop), eventLoop, settings, Clock.systemUTC());
        } catch (RuntimeException e) {
            eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Builds the Pushy client the settings describe, on the given event loop group. */
    static ApnsClient buildClient(ApnsSettings settings, EventLoopGroup eventLoop) {
        ApnsClientBuilder builder =
                new ApnsClientBuilder()
                        .setEventLoopGroup(eventLoop)
                        .setApnsServer(settings.host(), settings.port())
                        .setConcurrentConnections(settings.connections())
                        .setConnectionTimeout(settings.connectTimeout());
        try {
            if (settings.tokenAuth()) {
                builder.setSigningKey(
                        ApnsSigningKey.loadFromPkcs8File(
                                new File(settings.signingKeyFile()),
                                settings.teamId(),
                                settings.keyId()));
            } else {
                builder.setClientCredentials(
                        new File(settings.clientCertificateFile()), certificatePassword(settings));
            }
            if (settings.trustedCertificateFile() != null) {
                File ca = new File(settings.trustedCertificateFile());
                if (!ca.canRead()) {
                    throw new IOException("cannot read " + ca);
                }
                builder.setTrustedServerCertificateChain(ca);
            }
            ApnsClient client = builder.build();
            LOG.info(
                    "APNs client for {}:{} built: {} auth, {} connections, at most {} in flight",
                    settings.host(),
                    settings.port(),
                    settings.tokenAuth() ? "token" : "certificate",
                    settings.connections(),
                    settings.maxInFlight());
            return client;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(
                    "cannot build the APNs client: "
                            + (settings.tokenAuth()
                                    ? "check " + ApnsOptions.SIGNING_KEY_FILE.key()
                                    : "check " + ApnsOptions.CLIENT_CERTIFICATE_FILE.key())
                            + " and "
                            + ApnsOptions.TRUSTED_CERTIFICATE_FILE.key()
                            + " ("
                            + e.getClass().getSimpleName()
                            + ": "
                            + e.getMessage()
                            + ")",
                    e);
        }
    }

    private static String certificatePassword(ApnsSettings settings) throws IOException {
        if (settings.clientCertificatePasswordFile() != null) {
            return Files.readString(
                            Path.of(settings.clientCertificatePasswordFile()),
                            StandardCharsets.UTF_8)
                    .strip();
        }
        String env = settings.clientCertificatePasswordEnv();
        String value = env == null ? null : System.getenv(env);
        return value == null ? "" : value;
    }
}
