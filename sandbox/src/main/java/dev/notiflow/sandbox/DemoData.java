package dev.notiflow.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes the built-in demo scenario as input files: users with every mix of channels, devices on
 * all platforms, a few bad contacts and dead tokens, events including duplicates and malformed
 * records, and a provider script that rejects the dead tokens. Deterministic (fixed seed).
 */
final class DemoData {

    static final int USERS = 300;
    static final int EVENTS = 600;

    private DemoData() {}

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the scenario into {@code dir} and returns the provider script file. */
    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(42);
        List<String> prefs = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        StringBuilder apnsScript = new StringBuilder();
        StringBuilder fcmScript = new StringBuilder();
        for (int u = 0; u < USERS; u++) {
            String id = "user-" + u;
            String phone = u % 17 == 0 ? "+1555" : "+8210" + String.format("%08d", 10000000 + u);
            String email = u % 23 == 0 ? "not-an-email" : id + "@example.com";
            boolean push = u % 5 != 0;
            boolean sms = u % 3 == 0;
            boolean marketing = u % 4 != 0;
            prefs.add(
                    String.format(
                            "{\"userId\":\"%s\",\"email\":\"%s\",\"phone\":\"%s\",\"locale\":\"%s\","
                                    + "\"timeZone\":\"Asia/Seoul\",\"channels\":{\"push\":%s,\"sms\":%s,\"email\":true},"
                                    + "\"categories\":{\"marketing\":%s},\"updatedAt\":\"2026-11-21T22:00:00Z\"}",
                            id,
                            email,
                            phone,
                            u % 2 == 0 ? "ko-KR" : "en-US",
                            push,
                            sms,
                            marketing));
            int devices = u % 7 == 0 ? 0 : 1 + random.nextInt(2);
            for (int d = 0; d < devices; d++) {
                String platform = d == 0 ? (u % 2 == 0 ? "ios" : "android") : "web";
                String token =
                        platform.equals("ios")
                                ? String.format(
                                        "%064x", new java.math.BigInteger(1, sha256(id + "/" + d)))
                                : String.format("c%04d%d:APA91b%s", u, d, platform.toUpperCase());
                tokens.add(
                        String.format(
                                "{\"userId\":\"%s\",\"token\":\"%s\",\"platform\":\"%s\",\"appId\":\"com.example.app\","
                                        + "\"active\":true,\"updatedAt\":\"2026-11-21T22:00:00Z\"}",
                                id, token, platform));
                if (u % 29 == 0 && d == 0) {
                    StringBuilder script = platform.equals("ios") ? apnsScript : fcmScript;
                    script.append(script.length() == 0 ? "" : ",")
                            .append('"')
                            .append(token)
                            .append('"')
                            .append(
                                    platform.equals("ios")
                                            ? ":{\"status\":410,\"reason\":\"Unregistered\"}"
                                            : ":{\"status\":404,\"errorCode\":\"UNREGISTERED\"}");
                }
            }
        }
        List<String> events = new ArrayList<>();
        String[] types = {"order.shipped", "order.delivered", "marketing.sale", "security.login"};
        for (int e = 0; e < EVENTS; e++) {
            String type = types[e % types.length];
            int first = random.nextInt(USERS);
            String users =
                    e % 10 == 0
                            ? String.format(
                                    "\"user-%d\",\"user-%d\",\"user-%d\"",
                                    first, (first + 1) % USERS, (first + 2) % USERS)
                            : "\"user-" + first + "\"";
            String channels = e % 3 == 0 ? "" : ",\"channels\":[\"push\",\"email\"]";
            events.add(
                    String.format(
                            "{\"eventId\":\"demo-%d\",\"type\":\"%s\",\"userIds\":[%s]%s,"
                                    + "\"priority\":\"%s\",\"data\":{\"title\":\"주문 %d\",\"body\":\"Your order %d is on its way 🚚\"}}",
                            e, type, users, channels, e % 7 == 0 ? "high" : "normal", e, e));
            if (e % 50 == 0) {
                events.add(events.get(events.size() - 1));
            }
        }
        events.add("{\"eventId\": \"broken\", ");
        events.add("{\"type\":\"order.shipped\",\"userIds\":[\"user-1\"]}");
        events.add(
                "{\"eventId\":\"fax-1\",\"type\":\"order.shipped\",\"userIds\":[\"user-1\"],\"channels\":[\"fax\"]}");
        events.add("{\"eventId\":\"ghost-1\",\"type\":\"order.shipped\",\"userIds\":[\"nobody\"]}");

        Files.write(dir.resolve("preferences.jsonl"), prefs);
        Files.write(dir.resolve("tokens.jsonl"), tokens);
        Files.write(dir.resolve("events.jsonl"), events);
        Path script = dir.resolve("provider-script.json");
        Files.writeString(
                script,
                "{\"apns\":{"
                        + apnsScript
                        + "},\"fcm\":{"
                        + fcmScript
                        + "},"
                        + "\"sms\":{\"+821010000003\":{\"status\":400,\"code\":21610}},"
                        + "\"email\":{\"user-11@example.com\":{\"smtp\":550}},"
                        + "\"transientFailureRate\":0.0,\"latencyMs\":5}");
        return script;
    }
}
