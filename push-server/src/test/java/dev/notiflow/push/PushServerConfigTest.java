package dev.notiflow.push;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PushServerConfigTest {

    static final String SECRET = "a-test-secret-of-more-than-32-bytes!!";

    static Map<String, String> valid() {
        Map<String, String> m = new HashMap<>();
        m.put("live.secret", SECRET);
        m.put("live.instance-id", "push-1");
        return m;
    }

    @Test
    void shouldReadTheDefaults() throws Exception {
        PushServerConfig c = PushServerConfig.fromMap(valid(), Map.of());
        assertThat(c.port()).isEqualTo(8090);
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.historyTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.maxConnectionLifetime()).isEqualTo(Duration.ofSeconds(1800));
        assertThat(c.lifetimeDither()).isEqualTo(Duration.ofSeconds(180));
        assertThat(c.eventLoopThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void shouldTakeTheSecretFromTheEnvironmentWhenNoKeySetsIt() throws Exception {
        Map<String, String> m = valid();
        m.remove("live.secret");
        PushServerConfig c = PushServerConfig.fromMap(m, Map.of("NOTIFLOW_LIVE_SECRET", SECRET));
        assertThat(new String(c.secret())).isEqualTo(SECRET);
    }

    @Test
    void shouldRefuseBadSettingsNamingTheKey() {
        assertRefused("live.prot", "8090", "live.prot");
        assertRefused("live.secret", "short", "live.secret");
        assertRefused("live.heartbeat-interval", "soon", "live.heartbeat-interval");
        assertRefused("live.registry-ttl", "20 s", "live.registry-ttl");
        assertRefused("live.lifetime-dither", "1800 s", "live.lifetime-dither");
        assertRefused("live.port", "70000", "live.port");
        Map<String, String> none = valid();
        none.remove("live.secret");
        assertThatThrownBy(() -> PushServerConfig.fromMap(none, Map.of()))
                .hasMessageContaining("live.secret-file")
                .hasMessageContaining("live.jwks-url");
    }

    @Test
    void shouldParseDurationsAsTheJobWritesThem() {
        assertThat(PushServerConfig.parseDuration("k", "500 ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(PushServerConfig.parseDuration("k", "20s")).isEqualTo(Duration.ofSeconds(20));
        assertThat(PushServerConfig.parseDuration("k", "5 min")).isEqualTo(Duration.ofMinutes(5));
        assertThat(PushServerConfig.parseDuration("k", "1 h")).isEqualTo(Duration.ofHours(1));
        assertThat(PushServerConfig.parseDuration("k", "PT3S")).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void shouldBeDocumentedKeyByKey() throws Exception {
        String docs = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (PushServerConfig.Option o : PushServerConfig.Option.values()) {
            assertThat(docs).as(o.key()).contains("- `" + o.key() + "`");
        }
    }

    private static void assertRefused(String key, String value, String named) {
        Map<String, String> m = valid();
        m.put(key, value);
        assertThatThrownBy(() -> PushServerConfig.fromMap(m, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(named);
    }
}
