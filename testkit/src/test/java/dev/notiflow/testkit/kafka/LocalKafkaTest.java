package dev.notiflow.testkit.kafka;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalKafkaTest {

    @TempDir Path tmp;

    @Test
    void shouldRefuseToEmptyADirectoryItDidNotCreate() throws Exception {
        Path precious = Files.writeString(tmp.resolve("precious.txt"), "keep me");

        assertThatThrownBy(() -> LocalKafka.builder().dataDirectory(tmp).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to empty");
        assertThat(precious).hasContent("keep me");
    }

    @Test
    void shouldRejectPortsOutOfRange() {
        assertThatThrownBy(() -> LocalKafka.builder().port(70000))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
