package dev.notiflow.sinks.sms;

import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;

/**
 * Creates a {@link TwilioSmsSender} inside a task. Holds only the serializable {@link SmsSettings};
 * the secret is read from its file or environment variable in {@link #create()}, on the task
 * manager.
 *
 * <pre>{@code
 * SenderFactory sms = new TwilioSmsSenderFactory(SmsOptions.fromConfig(conf));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TwilioSmsSenderFactory implements SenderFactory {

    private static final long serialVersionUID = 1L;

    private final SmsSettings settings;

    public TwilioSmsSenderFactory(SmsSettings settings) {
        this.settings = settings;
    }

    public SmsSettings settings() {
        return settings;
    }

    /**
     * @throws IllegalStateException when the secret is missing from its file or variable
     */
    @Override
    public ChannelSender create() {
        return new TwilioSmsSender(settings, settings.resolveSecret());
    }
}
