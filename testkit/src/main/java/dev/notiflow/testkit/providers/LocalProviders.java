package dev.notiflow.testkit.providers;

import dev.notiflow.testkit.providers.apns.MockApnsProvider;
import dev.notiflow.testkit.providers.fcm.MockFcmProvider;
import dev.notiflow.testkit.providers.smtp.ScriptedSmtpServer;
import dev.notiflow.testkit.providers.twilio.MockTwilioServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All four local providers (APNs, FCM, Twilio, SMTP) started together on loopback, driven by one
 * {@link ProviderScript}. {@link #senderConfig()} points the real clients at them by configuration
 * alone.
 *
 * <pre>{@code
 * try (LocalProviders providers = LocalProviders.start(ProviderScript.acceptAll())) {
 *     Configuration conf = Configuration.fromMap(providers.senderConfig());
 * }
 * }</pre>
 */
public final class LocalProviders implements AutoCloseable {

    private final MockApnsProvider apns;
    private final MockFcmProvider fcm;
    private final MockTwilioServer sms;
    private final ScriptedSmtpServer email;

    private LocalProviders(
            MockApnsProvider apns,
            MockFcmProvider fcm,
            MockTwilioServer sms,
            ScriptedSmtpServer email) {
        this.apns = apns;
        this.fcm = fcm;
        this.sms = sms;
        this.email = email;
    }

    public static LocalProviders start(ProviderScript script) {
        try {
            return new LocalProviders(
                    MockApnsProvider.start(script),
                    MockFcmProvider.start(script),
                    MockTwilioServer.start(script),
                    ScriptedSmtpServer.start(script));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the local providers", e);
        }
    }

    /** Configuration entries for every sender. */
    public Map<String, String> senderConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.putAll(apns.senderConfig());
        conf.putAll(fcm.senderConfig());
        conf.putAll(sms.senderConfig());
        conf.putAll(email.senderConfig());
        return conf;
    }

    public void setScript(ProviderScript script) {
        apns.setScript(script);
        fcm.setScript(script);
        sms.setScript(script);
        email.setScript(script);
    }

    /** Every request any provider received. */
    public List<ReceivedCall> received() {
        List<ReceivedCall> all = new ArrayList<>();
        all.addAll(apns.received());
        all.addAll(fcm.received());
        all.addAll(sms.received());
        all.addAll(email.received());
        return all;
    }

    public MockApnsProvider apns() {
        return apns;
    }

    public MockFcmProvider fcm() {
        return fcm;
    }

    public MockTwilioServer sms() {
        return sms;
    }

    public ScriptedSmtpServer email() {
        return email;
    }

    @Override
    public void close() {
        apns.close();
        fcm.close();
        sms.close();
        email.close();
    }
}
