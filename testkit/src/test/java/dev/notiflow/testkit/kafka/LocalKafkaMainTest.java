package dev.notiflow.testkit.kafka;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalKafkaMainTest {

    @Test
    void shouldParseAllOptions() {
        LocalKafkaMain.Options options =
                LocalKafkaMain.Options.parse(
                        new String[] {
                            "--port", "19092",
                            "--dir", "/tmp/k",
                            "--bootstrap-file", "/tmp/k.bootstrap",
                            "--topics", "notification-events:4,user-preferences:2:compact,plain"
                        });

        assertThat(options.port()).isEqualTo(19092);
        assertThat(options.dir()).isEqualTo(Path.of("/tmp/k"));
        assertThat(options.bootstrapFile()).isEqualTo(Path.of("/tmp/k.bootstrap"));
        assertThat(options.topics())
                .containsExactly(
                        new LocalKafkaMain.TopicSpec("notification-events", 4, false),
                        new LocalKafkaMain.TopicSpec("user-preferences", 2, true),
                        new LocalKafkaMain.TopicSpec("plain", 1, false));
    }

    @Test
    void shouldDefaultToFreePortAndTemporaryDirectory() {
        LocalKafkaMain.Options options = LocalKafkaMain.Options.parse(new String[0]);

        assertThat(options.port()).isZero();
        assertThat(options.dir()).isNull();
        assertThat(options.bootstrapFile()).isNull();
        assertThat(options.topics()).isEmpty();
    }

    @Test
    void shouldRejectBadTopicSpecs() {
        assertThatThrownBy(() -> LocalKafkaMain.TopicSpec.parse("t:zero"))
                .hasMessageContaining("bad partition count");
        assertThatThrownBy(() -> LocalKafkaMain.TopicSpec.parse("t:0"))
                .hasMessageContaining(">= 1");
        assertThatThrownBy(() -> LocalKafkaMain.TopicSpec.parse("t:1:delete"))
                .hasMessageContaining("only 'compact'");
    }

    @Test
    void shouldRejectUnknownOptionsAndMissingValues() {
        assertThatThrownBy(() -> LocalKafkaMain.Options.parse(new String[] {"--portt", "1"}))
                .hasMessageContaining("unknown option --portt");
        assertThatThrownBy(() -> LocalKafkaMain.Options.parse(new String[] {"--port"}))
                .hasMessageContaining("missing value for --port");
    }
}
