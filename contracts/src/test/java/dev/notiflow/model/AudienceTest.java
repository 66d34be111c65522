package dev.notiflow.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AudienceTest {

    @Test
    void aLocalePrefixShouldMatchWholeSubtagsOnlyIgnoringCase() {
        Audience a = new Audience(false, null, null, List.of("en", "de-AT"));

        assertThat(a.matchesLocale("en")).isTrue();
        assertThat(a.matchesLocale("en-US")).isTrue();
        assertThat(a.matchesLocale("EN_gb")).isTrue();
        assertThat(a.matchesLocale("de-at")).isTrue();
        assertThat(a.matchesLocale("eng")).isFalse();
        assertThat(a.matchesLocale("de")).isFalse();
        assertThat(a.matchesLocale("de-CH")).isFalse();
        assertThat(a.matchesLocale(null)).isFalse();
        assertThat(Audience.everyone().matchesLocale(null)).isTrue();
    }

    @Test
    void aDeviceShouldMatchEveryDeviceFilterGiven() {
        Audience both = new Audience(false, List.of(Platform.IOS), List.of("shop"), null);

        assertThat(both.matchesDevice(Platform.IOS, "shop")).isTrue();
        assertThat(both.matchesDevice(Platform.IOS, "news")).isFalse();
        assertThat(both.matchesDevice(Platform.ANDROID, "shop")).isFalse();
        assertThat(
                        new Audience(false, null, List.of("shop"), null)
                                .matchesDevice(Platform.WEB, "shop"))
                .isTrue();
        assertThat(both.filtersDevices()).isTrue();
        assertThat(new Audience(false, null, null, List.of("en")).filtersDevices()).isFalse();
    }
}
