package dev.notiflow.model;

import java.time.Instant;
import java.util.Map;

/**
 * One user's profile from {@code user-preferences}.
 *
 * @param channels per channel wire name: {@code false} opts out; a missing key allows the channel
 * @param categories per category: {@code false} opts out; a missing key allows the category
 * @param updatedAt the newer {@code updatedAt} wins; an update without one is applied in arrival
 *     order
 */
public record UserPreferences(
        String userId,
        String email,
        String phone,
        String locale,
        String timeZone,
        Map<String, Boolean> channels,
        Map<String, Boolean> categories,
        QuietHours quietHours,
        Instant updatedAt) {

    /** Whether the user allows this channel (a channel not mentioned is allowed). */
    public boolean allows(Channel channel) {
        return channels == null || !Boolean.FALSE.equals(channels.get(channel.wireName()));
    }

    /** Whether the user allows this category (a category not mentioned is allowed). */
    public boolean allowsCategory(String category) {
        return categories == null
                || category == null
                || !Boolean.FALSE.equals(categories.get(category));
    }
}
