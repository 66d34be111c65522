package dev.notiflow.sinks.live;

import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;

/** Creates a {@link LiveSender} inside a task from serializable {@link LiveSettings}. */
public final class LiveSenderFactory implements SenderFactory {

    private static final long serialVersionUID = 1L;

    private final LiveSettings settings;

    public LiveSenderFactory(LiveSettings settings) {
        this.settings = settings;
    }

    public LiveSettings settings() {
        return settings;
    }

    @Override
    public ChannelSender create() {
        return new LiveSender(settings);
    }
}
