package dev.notiflow.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.notiflow.model.Channel;
import dev.notiflow.serde.UserUpdateParser;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code user-preferences} record (key userId), validated by the job's {@link UserUpdateParser}
 * when built. {@code updatedAt} defaults to the build time, because the job keeps the profile with
 * the newer {@code updatedAt}. Immutable and thread-safe.
 *
 * <pre>{@code
 * Preferences p = Preferences.builder("u1")
 *         .email("a@example.com")
 *         .timeZone("Asia/Seoul")
 *         .channel(Channel.SMS, false)
 *         .category("marketing", false)
 *         .quietHours("22:00", "08:00")
 *         .build();
 * }</pre>
 */
public final class Preferences {

    public static final String TOPIC = "user-preferences";

    private final String userId;
    private final ContractRecord record;

    private Preferences(String userId, ContractRecord record) {
        this.userId = userId;
        this.record = record;
    }

    public static Builder builder(String userId) {
        return new Builder(userId);
    }

    public String userId() {
        return userId;
    }

    public byte[] json() {
        return record.value.clone();
    }

    ContractRecord record() {
        return record;
    }

    /** Builds one {@link Preferences}; not thread-safe. */
    public static final class Builder {
        private final String userId;
        private String email;
        private String phone;
        private String locale;
        private String timeZone;
        private final Map<String, Boolean> channels = new LinkedHashMap<>();
        private final Map<String, Boolean> categories = new LinkedHashMap<>();
        private String quietStart;
        private String quietEnd;
        private Instant updatedAt;

        private Builder(String userId) {
            this.userId = userId;
        }

        public Builder email(String email) {
            this.email = email;
            return this;
        }

        /** E.164, e.g. {@code +821012345678}. */
        public Builder phone(String phone) {
            this.phone = phone;
            return this;
        }

        public Builder locale(String locale) {
            this.locale = locale;
            return this;
        }

        /** An IANA zone id, e.g. {@code Asia/Seoul}. */
        public Builder timeZone(String timeZone) {
            this.timeZone = timeZone;
            return this;
        }

        public Builder channel(Channel channel, boolean optedIn) {
            channels.put(channel.wireName(), optedIn);
            return this;
        }

        public Builder category(String category, boolean optedIn) {
            categories.put(category, optedIn);
            return this;
        }

        /** Local clock times {@code HH:mm} in the user's time zone. */
        public Builder quietHours(String start, String end) {
            this.quietStart = start;
            this.quietEnd = end;
            return this;
        }

        public Builder updatedAt(Instant updatedAt) {
            this.updatedAt = updatedAt;
            return this;
        }

        /**
         * @throws ValidationException with the reason and detail the job's DLQ would give
         */
        public Preferences build() {
            ObjectNode o = JsonBuilder.object();
            JsonBuilder.text(o, "userId", userId);
            JsonBuilder.text(o, "email", email);
            JsonBuilder.text(o, "phone", phone);
            JsonBuilder.text(o, "locale", locale);
            JsonBuilder.text(o, "timeZone", timeZone);
            if (!channels.isEmpty()) {
                ObjectNode c = o.putObject("channels");
                channels.forEach(c::put);
            }
            if (!categories.isEmpty()) {
                ObjectNode c = o.putObject("categories");
                categories.forEach(c::put);
            }
            if (quietStart != null || quietEnd != null) {
                ObjectNode q = o.putObject("quietHours");
                JsonBuilder.text(q, "start", quietStart);
                JsonBuilder.text(q, "end", quietEnd);
            }
            JsonBuilder.instant(o, "updatedAt", updatedAt != null ? updatedAt : Instant.now());
            return new Preferences(
                    userId,
                    ContractRecord.validated(
                            TOPIC, userId, JsonBuilder.bytes(o), UserUpdateParser::preferences));
        }
    }
}
