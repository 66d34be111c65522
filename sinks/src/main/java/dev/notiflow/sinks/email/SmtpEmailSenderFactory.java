package dev.notiflow.sinks.email;

import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;

/**
 * Creates a {@link SmtpEmailSender} inside a task. Holds only the serializable {@link
 * EmailSettings}; the SMTP password is read from its file or environment variable in {@link
 * #create()}, on the task manager.
 *
 * <pre>{@code
 * SenderFactory email = new SmtpEmailSenderFactory(EmailOptions.fromConfig(conf));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class SmtpEmailSenderFactory implements SenderFactory {

    private static final long serialVersionUID = 1L;

    private final EmailSettings settings;

    public SmtpEmailSenderFactory(EmailSettings settings) {
        this.settings = settings;
    }

    public EmailSettings settings() {
        return settings;
    }

    /**
     * @throws IllegalStateException when a user name is set but the password is missing
     */
    @Override
    public ChannelSender create() {
        return new SmtpEmailSender(settings, settings.resolvePassword());
    }
}
