package dev.notiflow.sinks.fcm;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.firebase.FirebaseApp;
import com.google.firebase.FirebaseOptions;
import com.google.firebase.ThreadManager;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds an {@link FcmSender} inside a task: reads the service-account file (from {@link
 * FcmSettings#credentialsFile()} or the environment variable), and initializes a FirebaseApp of its
 * own with explicit timeouts, a bounded thread pool and an HTTP transport that sends Google's FCM
 * URLs to {@link FcmSettings#endpoint()}.
 *
 * <p>Routing: firebase-admin hard-codes {@code https://fcm.googleapis.com}. The transport is a
 * {@link NetHttpTransport} (HTTP/1.1, public API) whose connection factory rewrites that prefix to
 * the configured base URL, an identity in production. The OAuth token endpoint is the service
 * account's {@code token_uri}, reached through the same transport.
 *
 * <pre>{@code
 * SenderFactory fcm = new FcmSenderFactory(FcmOptions.fromConfig(conf));
 * try (ChannelSender sender = fcm.create()) { ... }
 * }</pre>
 *
 * <p>Serializable (settings only); {@link #create()} throws {@link IllegalStateException} when the
 * credentials cannot be found or read, which fails the task at open with the reason.
 */
public final class FcmSenderFactory implements SenderFactory {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FcmSenderFactory.class);
    private static final AtomicInteger APPS = new AtomicInteger();

    private final FcmSettings settings;

    public FcmSenderFactory(FcmSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public FcmSettings settings() {
        return settings;
    }

    @Override
    public ChannelSender create() {
        HttpTransport transport = transport(settings);
        GoogleCredentials credentials = credentials(settings, transport);
        FirebaseOptions.Builder options =
                FirebaseOptions.builder()
                        .setCredentials(credentials)
                        .setHttpTransport(transport)
                        .setConnectTimeout((int) settings.connectTimeout().toMillis())
                        .setReadTimeout((int) settings.readTimeout().toMillis())
                        .setThreadManager(
                                new BoundedThreadManager(
                                        settings.threads(), settings.maxInFlight()));
        if (settings.projectId() != null) {
            options.setProjectId(settings.projectId());
        }
        String name = "notiflow-fcm-" + APPS.incrementAndGet() + "-" + UUID.randomUUID();
        FirebaseApp app = FirebaseApp.initializeApp(options.build(), name);
        LOG.info(
                "FCM app {} initialized: endpoint {}, {} threads, at most {} in flight",
                name,
                settings.endpoint(),
                settings.threads(),
                settings.maxInFlight());
        return new FcmSender(app, settings, Clock.systemUTC());
    }

    /** The HTTP transport that routes Google's FCM URLs to the configured endpoint. */
    static HttpTransport transport(FcmSettings settings) {
        NetHttpTransport.Builder builder = new NetHttpTransport.Builder();
        if (settings.trustedCertificateFile() != null) {
            try (InputStream in =
                    Files.newInputStream(Path.of(settings.trustedCertificateFile()))) {
                builder.trustCertificatesFromStream(in);
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException(
                        "cannot read " + FcmOptions.TRUSTED_CERTIFICATE_FILE.key() + ": " + e, e);
            }
        }
        String endpoint = settings.endpoint();
        builder.setConnectionFactory(
                url -> (HttpURLConnection) rewrite(url, endpoint).openConnection());
        return builder.build();
    }

    /** Replaces Google's FCM base URL with {@code endpoint}; other URLs pass unchanged. */
    static URL rewrite(URL url, String endpoint) throws IOException {
        String text = url.toString();
        if (text.startsWith(FcmOptions.DEFAULT_ENDPOINT + "/")
                && !endpoint.equals(FcmOptions.DEFAULT_ENDPOINT)) {
            return URI.create(endpoint + text.substring(FcmOptions.DEFAULT_ENDPOINT.length()))
                    .toURL();
        }
        return url;
    }

    private static GoogleCredentials credentials(FcmSettings settings, HttpTransport transport) {
        String file = settings.credentialsFile();
        String source = FcmOptions.CREDENTIALS_FILE.key();
        if (file == null) {
            String env = settings.credentialsEnv();
            file = env == null ? null : System.getenv(env);
            source = "environment variable " + env;
            if (file == null || file.isBlank()) {
                throw new IllegalStateException(
                        "FCM credentials missing: set "
                                + FcmOptions.CREDENTIALS_FILE.key()
                                + " or the "
                                + source);
            }
        }
        try (InputStream in = Files.newInputStream(Path.of(file.trim()))) {
            return GoogleCredentials.fromStream(in, () -> transport);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot read the FCM service account named by "
                            + source
                            + ": "
                            + e.getClass().getSimpleName(),
                    e);
        }
    }

    /**
     * Runs firebase-admin's blocking calls on a fixed pool with a bounded queue, instead of its
     * default 100 threads with an unbounded queue.
     */
    static final class BoundedThreadManager extends ThreadManager {

        private final int threads;
        private final int queue;

        BoundedThreadManager(int threads, int queue) {
            this.threads = threads;
            this.queue = queue;
        }

        @Override
        protected ExecutorService getExecutor(FirebaseApp app) {
            ThreadPoolExecutor executor =
                    new ThreadPoolExecutor(
                            threads,
                            threads,
                            60,
                            TimeUnit.SECONDS,
                            new LinkedBlockingQueue<>(queue),
                            getThreadFactory());
            executor.allowCoreThreadTimeOut(true);
            return executor;
        }

        @Override
        protected void releaseExecutor(FirebaseApp app, ExecutorService executor) {
            executor.shutdownNow();
        }

        @Override
        protected ThreadFactory getThreadFactory() {
            AtomicInteger count = new AtomicInteger();
            return r -> {
                Thread t = new Thread(r, "fcm-sender-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
        }
    }
}
