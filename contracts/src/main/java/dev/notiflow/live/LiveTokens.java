package dev.notiflow.live;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Mints live connection tokens: HS256 JWTs with {@code sub} = the user id, {@code iat}, {@code exp}
 * and a random {@code jti}, signed with the secret the push server checks ({@code live.secret} /
 * {@code live.secret-file}). Meant for whatever hands tokens to apps (the gateway's {@code POST
 * /v1/users/{userId}/live-token}).
 *
 * <pre>{@code
 * LiveTokens tokens = new LiveTokens(secretBytes);
 * String jwt = tokens.mint("u1", Duration.ofMinutes(15));
 * // browser: new EventSource("https://live.example.com/v1/live/sse?token=" + jwt)
 * }</pre>
 *
 * <p>Thread-safe; immutable.
 */
public final class LiveTokens {

    private final MACSigner signer;
    private final Clock clock;

    /** Tokens signed with {@code secret}, which must have at least 32 bytes (HS256). */
    public LiveTokens(byte[] secret) {
        this(secret, Clock.systemUTC());
    }

    /** Tokens signed with {@code secret}, issued by {@code clock} (tests mint at fixed times). */
    public LiveTokens(byte[] secret, Clock clock) {
        try {
            this.signer = new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException(
                    "an HS256 secret needs at least 32 bytes: " + e.getMessage(), e);
        }
        this.clock = clock;
    }

    /** A compact JWT for {@code userId} valid for {@code ttl}. */
    public String mint(String userId, Duration ttl) {
        if (userId == null || userId.isBlank()) {
            throw new IllegalArgumentException("userId is required");
        }
        Instant now = clock.instant();
        return mint(userId, now, now.plus(ttl));
    }

    /** A token with explicit issue and expiry times (tests mint expired ones with it). */
    public String mint(String userId, Instant issuedAt, Instant expiresAt) {
        JWTClaimsSet claims =
                new JWTClaimsSet.Builder()
                        .subject(userId)
                        .issueTime(Date.from(issuedAt))
                        .expirationTime(Date.from(expiresAt))
                        .jwtID(UUID.randomUUID().toString())
                        .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a live token", e);
        }
        return jwt.serialize();
    }
}
