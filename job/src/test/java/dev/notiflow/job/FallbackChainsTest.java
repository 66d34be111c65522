package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Channel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code fallback.chains} is read at start, and a chain the job cannot carry out stops it. */
class FallbackChainsTest {

    @Test
    void shouldReadAChainWithPushRightAfterLive() {
        PipelineSettings settings =
                settings("chat:live>push>email,order:push>sms>email,*:live>email");

        assertThat(settings.fallbackChain("chat"))
                .containsExactly(Channel.LIVE, Channel.PUSH, Channel.EMAIL);
        assertThat(settings.fallbackChain("order"))
                .containsExactly(Channel.PUSH, Channel.SMS, Channel.EMAIL);
        assertThat(settings.fallbackChain("other")).containsExactly(Channel.LIVE, Channel.EMAIL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sms>push", "email>push>sms", "live>sms>push", "sms>live>push"})
    void shouldRefuseAChainWithPushAfterAnythingButLive(String chain) {
        assertThatThrownBy(() -> settings("chat:" + chain))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fallback.chains")
                .hasMessageContaining("chat")
                .hasMessageContaining(chain)
                .hasMessageContaining("right after live");
    }

    @Test
    void shouldStillRefuseAnUnknownOrRepeatedChannel() {
        assertThatThrownBy(() -> settings("chat:live>fax"))
                .hasMessageContaining("fallback.chains")
                .hasMessageContaining("'fax'");
        assertThatThrownBy(() -> settings("chat:live>push>live"))
                .hasMessageContaining("fallback.chains")
                .hasMessageContaining("twice");
    }

    private static PipelineSettings settings(String chains) {
        Configuration config = new Configuration();
        config.setString(JobOptions.FALLBACK_CHAINS.key(), chains);
        return PipelineSettings.from(config);
    }
}
