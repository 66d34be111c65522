package dev.notiflow.model;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * The provider that carries a notification. Push picks its provider per device: iOS devices go to
 * APNs, Android and web devices to FCM.
 */
public enum Provider {
    APNS(Channel.PUSH),
    FCM(Channel.PUSH),
    TWILIO(Channel.SMS),
    SMTP(Channel.EMAIL),
    /** The live channel's push servers, found through the push registry in Redis. */
    LIVE(Channel.LIVE);

    private final Channel channel;

    Provider(Channel channel) {
        this.channel = channel;
    }

    public Channel channel() {
        return channel;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The provider for a non-push channel; push needs a {@link Platform}. */
    public static Provider forChannel(Channel channel) {
        switch (channel) {
            case SMS:
                return TWILIO;
            case EMAIL:
                return SMTP;
            case LIVE:
                return LIVE;
            default:
                throw new IllegalArgumentException("push needs a platform to choose a provider");
        }
    }

    public static Provider forPlatform(Platform platform) {
        return platform == Platform.IOS ? APNS : FCM;
    }

    public static Provider fromWire(String name) {
        for (Provider p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
