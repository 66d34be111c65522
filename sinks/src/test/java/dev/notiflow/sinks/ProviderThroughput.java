package dev.notiflow.sinks;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Channel;
import dev.notiflow.model.Content;
import dev.notiflow.model.Platform;
import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.apns.ApnsOptions;
import dev.notiflow.sinks.apns.ApnsSenderFactory;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.fcm.FcmSenderFactory;
import dev.notiflow.testkit.providers.apns.MockApnsProvider;
import dev.notiflow.testkit.providers.fcm.MockFcmProvider;
import io.netty.handler.ssl.OpenSsl;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measurement, not a test: sends per second of one provider's sender (Pushy for APNs over TLS,
 * firebase-admin for FCM) to the testkit's local server in the same JVM, with at most {@code
 * --in-flight} sends under way. Extra {@code key=value} arguments override the sender's options
 * (e.g. {@code fcm.threads=32}). Start the JVM with {@code -Dio.netty.handler.ssl.noOpenSsl=true}
 * to measure netty's JDK TLS engine although netty-tcnative is on the classpath.
 *
 * <pre>{@code
 * java -cp sinks/target/test-classes:sinks/target/classes:$(cat /tmp/sinks-cp.txt) \
 *     dev.notiflow.sinks.ProviderThroughput --provider apns --sends 100000 --in-flight 1000
 * }</pre>
 */
public final class ProviderThroughput {

    private ProviderThroughput() {}

    public static void main(String[] args) throws Exception {
        String provider = arg(args, "--provider", "apns");
        int sends = Integer.parseInt(arg(args, "--sends", "100000"));
        int inFlight = Integer.parseInt(arg(args, "--in-flight", "1000"));
        Map<String, String> overrides = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq > 0 && !a.startsWith("--")) {
                overrides.put(a.substring(0, eq), a.substring(eq + 1));
            }
        }
        int warmUp = Math.min(sends, 20_000);
        if (provider.equals("apns")) {
            try (MockApnsProvider apns = MockApnsProvider.start()) {
                Map<String, String> conf = new HashMap<>(apns.senderConfig());
                conf.putAll(overrides);
                try (ChannelSender sender =
                        new ApnsSenderFactory(ApnsOptions.fromConfig(Configuration.fromMap(conf)))
                                .create()) {
                    report(
                            "apns (TLS: " + (OpenSsl.isAvailable() ? "OpenSSL" : "JDK") + ")",
                            overrides,
                            sender,
                            Provider.APNS,
                            Platform.IOS,
                            warmUp,
                            sends,
                            inFlight);
                }
            }
        } else {
            try (MockFcmProvider fcm = MockFcmProvider.start()) {
                Map<String, String> conf = new HashMap<>(fcm.senderConfig());
                conf.putAll(overrides);
                try (ChannelSender sender =
                        new FcmSenderFactory(FcmOptions.fromConfig(Configuration.fromMap(conf)))
                                .create()) {
                    report(
                            "fcm",
                            overrides,
                            sender,
                            Provider.FCM,
                            Platform.ANDROID,
                            warmUp,
                            sends,
                            inFlight);
                }
            }
        }
        System.exit(0);
    }

    private static void report(
            String label,
            Map<String, String> overrides,
            ChannelSender sender,
            Provider provider,
            Platform platform,
            int warmUp,
            int sends,
            int inFlight)
            throws InterruptedException {
        run(sender, provider, platform, "w-", warmUp, inFlight);
        long start = System.nanoTime();
        long failed = run(sender, provider, platform, "n-", sends, inFlight);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "%s %s: %d sends in %.1f s, %.0f/s, %d not accepted (in flight %d)%n",
                label, overrides, sends, seconds, sends / seconds, failed, inFlight);
    }

    private static long run(
            ChannelSender sender,
            Provider provider,
            Platform platform,
            String prefix,
            int count,
            int inFlight)
            throws InterruptedException {
        Semaphore slots = new Semaphore(inFlight);
        AtomicLong failed = new AtomicLong();
        for (int i = 0; i < count; i++) {
            slots.acquire();
            sender.send(request(prefix + i, provider, platform, i))
                    .whenComplete(
                            (r, e) -> {
                                if (e != null || r.status() != SendStatus.ACCEPTED) {
                                    failed.incrementAndGet();
                                }
                                slots.release();
                            });
        }
        slots.acquire(inFlight);
        return failed.get();
    }

    private static SendRequest request(
            String notificationId, Provider provider, Platform platform, int i) {
        return SendRequest.builder()
                .notificationId(notificationId)
                .eventId("event-1")
                .userId("u" + i)
                .type("order.shipped")
                .category("order")
                .channel(Channel.PUSH)
                .provider(provider)
                .platform(platform)
                .token(String.format("%064x", 0xB0000000L + i))
                .appId("com.example.app")
                .locale("en")
                .priority(Priority.HIGH)
                .templateId("order_shipped")
                .data(Map.of("orderId", "123"))
                .content(new Content("Shipped", "Your order left", null, null, null))
                .createdAt(Instant.now())
                .receivedAt(Instant.now())
                .build();
    }

    private static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
