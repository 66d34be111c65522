package dev.notiflow.push;

import dev.notiflow.live.LiveRegistryKeys;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The push registry and the per-user message history in Redis, in the layout of {@link
 * LiveRegistryKeys}. All calls are asynchronous (Lettuce pipelines them on one connection) and
 * never block a Netty event loop.
 *
 * <p>Thread-safe: Lettuce's connection is. Closed by {@link #close()}.
 */
final class PushRegistry implements AutoCloseable {

    private static final Pattern ENTRY_ID = Pattern.compile("\\d{1,19}-\\d{1,19}");

    /** One message of a user's history. */
    record Entry(String position, String notificationId, String message) {}

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;

    PushRegistry(String uri, String password) {
        RedisURI redisUri = RedisURI.create(uri);
        if (password != null) {
            redisUri.setCredentialsProvider(
                    io.lettuce.core.RedisCredentialsProvider.from(
                            () -> io.lettuce.core.RedisCredentials.just(null, password)));
        }
        client = RedisClient.create(redisUri);
        connection = client.connect();
        redis = connection.async();
    }

    /** Adds or refreshes a connection: its expiry as score, the user's key TTL pushed out. */
    CompletionStage<Void> register(String userId, String member, Duration ttl) {
        String key = LiveRegistryKeys.connections(userId);
        long expiresAt = System.currentTimeMillis() + ttl.toMillis();
        return redis.zadd(key, expiresAt, member)
                .thenCompose(n -> redis.pexpire(key, ttl.toMillis()))
                .thenApply(ok -> null);
    }

    /** Removes a connection that closed. */
    CompletionStage<Void> unregister(String userId, String member) {
        return redis.zrem(LiveRegistryKeys.connections(userId), member).thenApply(n -> null);
    }

    /** The members of the user's live connections, dropping those whose expiry passed. */
    CompletionStage<List<String>> connections(String userId) {
        String key = LiveRegistryKeys.connections(userId);
        long now = System.currentTimeMillis();
        return redis.zremrangebyscore(key, Range.create(Double.NEGATIVE_INFINITY, (double) now))
                .thenCompose(
                        n ->
                                redis.zrangebyscore(
                                        key,
                                        Range.from(
                                                Range.Boundary.excluding((double) now),
                                                Range.Boundary.unbounded())));
    }

    /** The internal URLs of these instances, leaving out those gone (their record expired). */
    CompletionStage<List<String>> urls(Collection<String> instanceIds) {
        if (instanceIds.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        String[] keys = instanceIds.stream().map(LiveRegistryKeys::instance).toArray(String[]::new);
        return redis.mget(keys)
                .thenApply(
                        values -> {
                            List<String> urls = new ArrayList<>();
                            for (KeyValue<String, String> kv : values) {
                                if (kv.hasValue()) {
                                    urls.add(kv.getValue());
                                }
                            }
                            return urls;
                        });
    }

    /** Writes this instance's internal URL with a TTL. */
    CompletionStage<Void> announce(String instanceId, String url, Duration ttl) {
        return redis.set(
                        LiveRegistryKeys.instance(instanceId),
                        url,
                        SetArgs.Builder.px(ttl.toMillis()))
                .thenApply(ok -> null);
    }

    CompletionStage<Void> retire(String instanceId) {
        return redis.del(LiveRegistryKeys.instance(instanceId)).thenApply(n -> null);
    }

    /**
     * Appends a message to the user's history and returns its position (the stream entry id); a
     * notification already there (a retried delivery) keeps its first position and is not added
     * again.
     */
    CompletionStage<String> append(
            String userId, String notificationId, String message, Duration ttl, int maxLength) {
        String positionKey = LiveRegistryKeys.position(userId, notificationId);
        String streamKey = LiveRegistryKeys.history(userId);
        return redis.get(positionKey)
                .thenCompose(
                        known -> {
                            if (known != null) {
                                return CompletableFuture.completedFuture(known);
                            }
                            XAddArgs args = new XAddArgs().maxlen(maxLength).approximateTrimming();
                            return redis.xadd(
                                            streamKey,
                                            args,
                                            Map.of(
                                                    LiveRegistryKeys.FIELD_NOTIFICATION_ID,
                                                    notificationId,
                                                    LiveRegistryKeys.FIELD_MESSAGE,
                                                    message))
                                    .thenCompose(
                                            id ->
                                                    redis.set(
                                                                    positionKey,
                                                                    id,
                                                                    SetArgs.Builder.px(
                                                                            ttl.toMillis()))
                                                            .thenCompose(
                                                                    ok ->
                                                                            redis.pexpire(
                                                                                    streamKey,
                                                                                    ttl.toMillis()))
                                                            .thenApply(ok -> id));
                        });
    }

    /**
     * The user's messages after {@code afterPosition} (exclusive), oldest first, leaving out those
     * older than {@code ttl}; empty for a position that is not a stream entry id.
     */
    CompletionStage<List<Entry>> after(String userId, String afterPosition, Duration ttl) {
        if (afterPosition == null || !ENTRY_ID.matcher(afterPosition).matches()) {
            return CompletableFuture.completedFuture(List.of());
        }
        long oldest = System.currentTimeMillis() - ttl.toMillis();
        return redis.xrange(
                        LiveRegistryKeys.history(userId),
                        Range.from(
                                Range.Boundary.excluding(afterPosition),
                                Range.Boundary.unbounded()),
                        Limit.unlimited())
                .thenApply(
                        messages -> {
                            List<Entry> entries = new ArrayList<>();
                            for (StreamMessage<String, String> m : messages) {
                                long at =
                                        Long.parseLong(
                                                m.getId().substring(0, m.getId().indexOf('-')));
                                if (at < oldest) {
                                    continue;
                                }
                                entries.add(
                                        new Entry(
                                                m.getId(),
                                                m.getBody()
                                                        .get(
                                                                LiveRegistryKeys
                                                                        .FIELD_NOTIFICATION_ID),
                                                m.getBody().get(LiveRegistryKeys.FIELD_MESSAGE)));
                            }
                            return entries;
                        });
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
