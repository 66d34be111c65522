package dev.notiflow.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The API keys the gateway accepts, stored as SHA-256 hashes: one key per line, {@code <sha256 hex>
 * <scope,scope> <name>} (blank lines and {@code #} comments skipped), from {@code
 * gateway.api-keys-file} or the environment variable {@value #ENV}. A presented key is hashed and
 * compared with every stored hash in constant time, so neither a match's position nor a common
 * prefix shows in the answer time.
 */
public final class ApiKeys {

    /** Environment variable holding the key lines when no file is configured. */
    public static final String ENV = "NOTIFLOW_API_KEYS";

    /** What a key may do. */
    public enum Scope implements io.javalin.security.RouteRole {
        /** POST events and engagement. */
        SEND,
        /** Users, devices, templates. */
        MANAGE,
        /** Delivery status. */
        READ;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One stored key: its name (for metrics, rate limits and logs) and scopes. */
    public record Key(String name, Set<Scope> scopes, byte[] hash) {}

    private final List<Key> keys;

    private ApiKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    public static ApiKeys parse(String text, String source) {
        List<Key> keys = new ArrayList<>();
        String[] lines = text.split("\\R|;");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 3);
            String where = source + " entry " + (i + 1);
            if (parts.length < 3) {
                throw new IllegalArgumentException(
                        where + ": expected '<sha256 hex> <scope,scope> <name>'");
            }
            byte[] hash;
            try {
                hash = HexFormat.of().parseHex(parts[0].toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": the hash is not hex");
            }
            if (hash.length != 32) {
                throw new IllegalArgumentException(where + ": the hash is not 64 hex digits");
            }
            Set<Scope> scopes = EnumSet.noneOf(Scope.class);
            for (String s : parts[1].split(",")) {
                try {
                    scopes.add(Scope.valueOf(s.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            where + ": unknown scope '" + s + "' (send, manage, read)");
                }
            }
            keys.add(new Key(parts[2].strip(), scopes, hash));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no API key");
        }
        return new ApiKeys(keys);
    }

    /** From {@code gateway.api-keys-file} when given, else from {@value #ENV}. */
    public static ApiKeys load(String file) throws IOException {
        if (file != null) {
            return parse(
                    Files.readString(Path.of(file), StandardCharsets.UTF_8),
                    "gateway.api-keys-file " + file);
        }
        String env = System.getenv(ENV);
        if (env == null || env.isBlank()) {
            throw new IllegalArgumentException(
                    "gateway.api-keys-file is not set and " + ENV + " is empty: no API key");
        }
        return parse(env, ENV);
    }

    /** The stored key matching {@code presented}, or null. */
    public Key find(String presented) {
        byte[] hash = sha256(presented.getBytes(StandardCharsets.UTF_8));
        Key found = null;
        for (Key key : keys) {
            // no early exit: every stored hash is compared
            if (MessageDigest.isEqual(key.hash(), hash)) {
                found = key;
            }
        }
        return found;
    }

    /** The line for a key, as an operator writes it: {@code sha256hex scopes name}. */
    public static String line(String key, String scopes, String name) {
        return HexFormat.of().formatHex(sha256(key.getBytes(StandardCharsets.UTF_8)))
                + " "
                + scopes
                + " "
                + name;
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
