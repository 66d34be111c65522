package dev.notiflow.push;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.net.MalformedURLException;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;

/**
 * Checks a connection token and returns its user: a signed JWT (HS256 with the configured secret,
 * or RS256/ES256 with a key from the issuer's JWKS) that is not expired and names a {@code sub}.
 * {@code exp} is required. Thread-safe: nimbus' processor is, and the JWKS source caches keys.
 */
final class TokenVerifier {

    private final DefaultJWTProcessor<SecurityContext> processor;

    TokenVerifier(byte[] secret, String jwksUrl) {
        processor = new DefaultJWTProcessor<>();
        JWKSource<SecurityContext> keys;
        Set<JWSAlgorithm> algorithms = new HashSet<>();
        if (secret != null) {
            keys = new ImmutableSecret<>(secret);
            algorithms.add(JWSAlgorithm.HS256);
        } else {
            try {
                keys = JWKSourceBuilder.create(URI.create(jwksUrl).toURL()).build();
            } catch (MalformedURLException | IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        PushServerConfig.Option.JWKS_URL.key() + ": not a URL: " + jwksUrl);
            }
            algorithms.add(JWSAlgorithm.RS256);
            algorithms.add(JWSAlgorithm.ES256);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        processor.setJWTClaimsSetVerifier(
                new DefaultJWTClaimsVerifier<>(null, null, Set.of("sub", "exp")));
    }

    /** The token's user id, or {@code null} when the token is missing, forged or expired. */
    String userId(String token) {
        if (token == null || token.isBlank()) {
            return null;
        }
        try {
            JWTClaimsSet claims = processor.process(token, null);
            String sub = claims.getSubject();
            return sub == null || sub.isBlank() ? null : sub;
        } catch (Exception e) {
            return null;
        }
    }
}
