package dev.notiflow.push;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One client connection, WebSocket or SSE. Every method runs on the connection's event loop (the
 * server hands calls over with {@code channel.eventLoop().execute}), so the fields need no locks.
 *
 * <p>A connection that asked for a replay starts in the replaying state: live messages that arrive
 * meanwhile are queued and sent after the replay, leaving out those the replay already sent, so
 * each message reaches the client once and in order.
 */
final class LiveConnection {

    enum Transport {
        WS,
        SSE
    }

    final String id;
    final String userId;
    final String member;
    final Channel channel;
    final Transport transport;

    private boolean replaying;
    private final List<String[]> queued = new ArrayList<>();
    private Set<String> replayed = Set.of();
    private boolean goingAway;
    final List<ScheduledFuture<?>> timers = new ArrayList<>();
    long lastPongNanos = System.nanoTime();

    LiveConnection(
            String id,
            String userId,
            String member,
            Channel channel,
            Transport transport,
            boolean replaying) {
        this.id = id;
        this.userId = userId;
        this.member = member;
        this.channel = channel;
        this.transport = transport;
        this.replaying = replaying;
    }

    /** Sends a live message, or queues it while a replay runs. */
    void deliver(String position, String json) {
        if (replaying) {
            queued.add(new String[] {position, json});
            return;
        }
        write(position, "notification", json);
    }

    /** Sends the replayed messages, then what arrived meanwhile and was not among them. */
    void replay(List<PushRegistry.Entry> entries) {
        Set<String> sent = new HashSet<>();
        for (PushRegistry.Entry e : entries) {
            write(e.position(), "notification", e.message());
            sent.add(e.position());
        }
        replayed = sent;
        replaying = false;
        for (String[] q : queued) {
            if (!replayed.contains(q[0])) {
                write(q[0], "notification", q[1]);
            }
        }
        queued.clear();
    }

    boolean replaying() {
        return replaying;
    }

    /** Asks the client to reconnect elsewhere; true the first time. */
    boolean goaway(String json) {
        if (goingAway) {
            return false;
        }
        goingAway = true;
        write(null, "goaway", json);
        return true;
    }

    /** A WebSocket ping or an SSE comment. */
    ChannelFuture heartbeat() {
        if (transport == Transport.WS) {
            return channel.writeAndFlush(new PingWebSocketFrame());
        }
        return channel.writeAndFlush(
                new DefaultHttpContent(
                        Unpooled.copiedBuffer(": ping\n\n", StandardCharsets.UTF_8)));
    }

    /** Closes from the server side (the forced close after a goaway, or a dead client). */
    void close() {
        if (!channel.isActive()) {
            return;
        }
        if (transport == Transport.WS) {
            channel.writeAndFlush(new CloseWebSocketFrame(1001, "going away"))
                    .addListener(f -> channel.close());
        } else {
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                    .addListener(f -> channel.close());
        }
    }

    private void write(String position, String event, String json) {
        if (transport == Transport.WS) {
            // The message object already carries its type and position.
            channel.writeAndFlush(new TextWebSocketFrame(json));
        } else {
            StringBuilder sb = new StringBuilder(json.length() + 64);
            if (position != null) {
                sb.append("id: ").append(position).append('\n');
            }
            sb.append("event: ").append(event).append('\n');
            sb.append("data: ").append(json).append("\n\n");
            channel.writeAndFlush(
                    new DefaultHttpContent(Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8)));
        }
    }
}
