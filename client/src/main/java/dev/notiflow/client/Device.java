package dev.notiflow.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Platform;
import dev.notiflow.serde.UserUpdateParser;

import java.time.Instant;

/**
 * A {@code device-tokens} record (key {@code userId:token}), validated by the job's {@link
 * UserUpdateParser} when built; {@code updatedAt} defaults to the build time. Immutable and
 * thread-safe. The token is never logged or shown by {@link #toString()}.
 *
 * <pre>{@code
 * Device d = Device.builder("u1", token, Platform.IOS).appId("com.example.app").build();
 * }</pre>
 */
public final class Device {

    public static final String TOPIC = "device-tokens";

    private final String userId;
    private final String token;
    private final ContractRecord record;

    private Device(String userId, String token, ContractRecord record) {
        this.userId = userId;
        this.token = token;
        this.record = record;
    }

    public static Builder builder(String userId, String token, Platform platform) {
        return new Builder(userId, token, platform);
    }

    /** The record key of a device: {@code userId:token}. */
    static String key(String userId, String token) {
        return userId + ":" + token;
    }

    /** The tombstone that unregisters a device. */
    static ContractRecord tombstone(String userId, String token) {
        return ContractRecord.validated(
                TOPIC, key(userId, token), null, UserUpdateParser::deviceToken);
    }

    public String userId() {
        return userId;
    }

    public String token() {
        return token;
    }

    public byte[] json() {
        return record.value.clone();
    }

    ContractRecord record() {
        return record;
    }

    @Override
    public String toString() {
        return "Device{" + userId + ", token of " + token.length() + " chars}";
    }

    /** Builds one {@link Device}; not thread-safe. */
    public static final class Builder {
        private final String userId;
        private final String token;
        private final Platform platform;
        private String appId;
        private Boolean active;
        private Instant updatedAt;

        private Builder(String userId, String token, Platform platform) {
            this.userId = userId;
            this.token = token;
            this.platform = platform;
        }

        public Builder appId(String appId) {
            this.appId = appId;
            return this;
        }

        /** {@code false} unregisters the device, like a tombstone. Default: active. */
        public Builder active(boolean active) {
            this.active = active;
            return this;
        }

        public Builder updatedAt(Instant updatedAt) {
            this.updatedAt = updatedAt;
            return this;
        }

        /**
         * @throws ValidationException with the reason and detail the job's DLQ would give
         */
        public Device build() {
            ObjectNode o = JsonBuilder.object();
            JsonBuilder.text(o, "userId", userId);
            JsonBuilder.text(o, "token", token);
            JsonBuilder.text(o, "platform", platform == null ? null : platform.wireName());
            JsonBuilder.text(o, "appId", appId);
            if (active != null) {
                o.put("active", active);
            }
            JsonBuilder.instant(o, "updatedAt", updatedAt != null ? updatedAt : Instant.now());
            String key = userId == null || token == null ? null : key(userId, token);
            return new Device(
                    userId,
                    token,
                    ContractRecord.validated(
                            TOPIC, key, JsonBuilder.bytes(o), UserUpdateParser::deviceToken));
        }
    }
}
