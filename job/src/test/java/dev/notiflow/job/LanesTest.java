package dev.notiflow.job;

import org.apache.flink.configuration.Configuration;

import dev.notiflow.model.Priority;
import dev.notiflow.model.Provider;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LanesTest {

    @Test
    void shouldLeaveTheSingleJobUnchanged() {
        Configuration config = new Configuration();
        config.set(LaneOptions.quota(Provider.FCM), "600000/min");
        assertThat(Lanes.laneConfig(config, 4)).isSameAs(config);
    }

    @Test
    void shouldGiveALaneItsTopicsGroupAndTransactionalIds() {
        Configuration high = lane("high");
        assertThat(high.get(JobOptions.TOPIC_EVENTS)).isEqualTo("notification-events.high");
        assertThat(high.get(JobOptions.TOPIC_RETRY)).isEqualTo("notification-retry.high");
        assertThat(high.get(JobOptions.KAFKA_GROUP_ID)).isEqualTo("notiflow-high");
        assertThat(high.get(JobOptions.KAFKA_TRANSACTIONAL_ID_PREFIX)).isEqualTo("notiflow-high");
        // The normal lane carries on the single job's retry topic.
        assertThat(lane("normal").get(JobOptions.TOPIC_RETRY)).isEqualTo("notification-retry");
        assertThat(lane("low").get(JobOptions.TOPIC_EVENTS)).isEqualTo("notification-events.low");
    }

    @Test
    void shouldSplitTheQuotaSoNormalAndLowNeverExceedTheUnreservedPart() {
        double total = 0;
        double normalAndLow = 0;
        for (Priority p : Priority.values()) {
            Configuration config = new Configuration();
            config.set(LaneOptions.LANE, p.wireName());
            config.set(LaneOptions.quota(Provider.FCM), "600000/min");
            config.set(LaneOptions.HIGH_RESERVED_SHARE, 0.25);
            config.set(LaneOptions.NORMAL_SHARE, 0.6);
            double perSubtask =
                    Lanes.laneConfig(config, 4).get(JobOptions.sendRateLimit(Provider.FCM));
            total += perSubtask * 4;
            if (p != Priority.HIGH) {
                normalAndLow += perSubtask * 4;
            } else {
                assertThat(perSubtask * 4).isCloseTo(2500, within(1e-9));
            }
        }
        assertThat(total).isCloseTo(10_000, within(1e-9));
        assertThat(normalAndLow).isCloseTo(7500, within(1e-9));
        // Providers without a quota keep their own setting.
        assertThat(lane("low").get(JobOptions.sendRateLimit(Provider.APNS))).isZero();
    }

    @Test
    void shouldReadQuotasPerAnyDuration() {
        assertThat(Lanes.perSecond("k", "600000/min")).isCloseTo(10_000, within(1e-9));
        assertThat(Lanes.perSecond("k", "500/s")).isCloseTo(500, within(1e-9));
        assertThat(Lanes.perSecond("k", "1000/10 s")).isCloseTo(100, within(1e-9));
        assertThat(Lanes.perSecond("k", "3600/h")).isCloseTo(1, within(1e-9));
    }

    @Test
    void shouldRefuseBadSettingsNamingTheKey() {
        assertThatThrownBy(() -> lane("urgent"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lane");
        Configuration both = new Configuration();
        both.set(LaneOptions.LANE, "high");
        both.set(LaneOptions.quota(Provider.FCM), "600000/min");
        both.set(JobOptions.sendRateLimit(Provider.FCM), 100.0);
        assertThatThrownBy(() -> Lanes.laneConfig(both, 1))
                .hasMessageContaining("send.fcm.rate-limit")
                .hasMessageContaining("lanes.quota.fcm");
        // The shipped job.yaml's 0 (no limit) goes with a quota.
        Configuration zero = new Configuration();
        zero.set(LaneOptions.LANE, "high");
        zero.set(LaneOptions.quota(Provider.FCM), "600000/min");
        zero.set(JobOptions.sendRateLimit(Provider.FCM), 0.0);
        assertThat(Lanes.laneConfig(zero, 1).get(JobOptions.sendRateLimit(Provider.FCM)))
                .isCloseTo(2000, within(1e-9));
        Configuration bad = new Configuration();
        bad.set(LaneOptions.LANE, "high");
        bad.set(LaneOptions.quota(Provider.FCM), "lots");
        assertThatThrownBy(() -> Lanes.laneConfig(bad, 1)).hasMessageContaining("lanes.quota.fcm");
        Configuration share = new Configuration();
        share.set(LaneOptions.LANE, "low");
        share.set(LaneOptions.HIGH_RESERVED_SHARE, 1.0);
        assertThatThrownBy(() -> Lanes.laneConfig(share, 1))
                .hasMessageContaining("lanes.high-reserved-share");
    }

    private static Configuration lane(String lane) {
        Configuration config = new Configuration();
        config.set(LaneOptions.LANE, lane);
        return Lanes.laneConfig(config, 2);
    }
}
