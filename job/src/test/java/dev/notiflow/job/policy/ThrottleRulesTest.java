package dev.notiflow.job.policy;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.job.JobOptions;
import dev.notiflow.job.PipelineSettings;
import dev.notiflow.model.Channel;
import dev.notiflow.model.Priority;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class ThrottleRulesTest {

    @Test
    void shouldParseRulesPerCategoryAndChannel() {
        List<ThrottleRules.Rule> rules =
                ThrottleRules.parse(
                        "throttle.rules",
                        "marketing:push<=3/1h, marketing:push <= 10 / 1d,*:email<=2/30min,news:*<=1/1d");

        assertThat(rules)
                .extracting(
                        ThrottleRules.Rule::category,
                        ThrottleRules.Rule::channel,
                        ThrottleRules.Rule::limit,
                        ThrottleRules.Rule::window,
                        ThrottleRules.Rule::text)
                .containsExactly(
                        tuple(
                                "marketing",
                                Channel.PUSH,
                                3,
                                Duration.ofHours(1),
                                "marketing:push<=3/1h"),
                        tuple(
                                "marketing",
                                Channel.PUSH,
                                10,
                                Duration.ofDays(1),
                                "marketing:push<=10/1d"),
                        tuple("*", Channel.EMAIL, 2, Duration.ofMinutes(30), "*:email<=2/30min"),
                        tuple("news", null, 1, Duration.ofDays(1), "news:*<=1/1d"));
        assertThat(rules.get(2).appliesTo("order", Channel.EMAIL)).isTrue();
        assertThat(rules.get(2).appliesTo("order", Channel.SMS)).isFalse();
        assertThat(rules.get(3).appliesTo("news", Channel.SMS)).isTrue();
        assertThat(rules.get(3).appliesTo("order", Channel.SMS)).isFalse();
        assertThat(ThrottleRules.parse("throttle.rules", " ")).isEmpty();
    }

    @Test
    void shouldRejectABadRuleNamingTheKeyAndThePart() {
        for (String bad :
                List.of(
                        "marketing:push<3/1h",
                        "marketing:fax<=3/1h",
                        "marketing:push<=0/1h",
                        "marketing:push<=3/1fortnight",
                        "marketing:push<=99999999999/1h",
                        "marketing<=3/1h",
                        "")) {
            assertThatThrownBy(
                            () ->
                                    ThrottleRules.parse(
                                            "throttle.rules", "marketing:push<=3/1h," + bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("throttle.rules: bad rule '" + bad + "'");
        }
    }

    @Test
    void shouldValidateTheThrottleSettingsAtStart() {
        Configuration config = new Configuration();
        PipelineSettings defaults = PipelineSettings.from(config);
        assertThat(defaults.throttle().rules())
                .extracting(ThrottleRules.Rule::text)
                .containsExactly("marketing:*<=3/1h", "marketing:*<=10/1d");
        assertThat(defaults.throttle().bypasses(Priority.HIGH)).isTrue();
        assertThat(defaults.throttle().bypasses(Priority.NORMAL)).isFalse();
        assertThat(defaults.throttle().defersAny()).isFalse();
        assertThat(defaults.throttle().applicable("order", Channel.PUSH)).isEmpty();

        config.set(JobOptions.THROTTLE_RULES, "marketing:push<=3/90s");
        assertThatThrownBy(() -> PipelineSettings.from(config))
                .hasMessageContaining("throttle.rules")
                .hasMessageContaining("marketing:push<=3/90s")
                .hasMessageContaining("throttle.bucket");

        config.set(JobOptions.THROTTLE_RULES, "marketing:push<=3/1h");
        config.set(JobOptions.THROTTLE_BYPASS_PRIORITIES, List.of("urgent"));
        assertThatThrownBy(() -> PipelineSettings.from(config))
                .hasMessageContaining("throttle.bypass-priorities")
                .hasMessageContaining("urgent");

        config.set(JobOptions.THROTTLE_BYPASS_PRIORITIES, List.of("high", "normal"));
        config.set(JobOptions.THROTTLE_DEFER_CATEGORIES, List.of("digest"));
        ThrottleRules rules = PipelineSettings.from(config).throttle();
        assertThat(rules.bypasses(Priority.NORMAL)).isTrue();
        assertThat(rules.defers("digest")).isTrue();
        assertThat(rules.defers("marketing")).isFalse();
    }
}
