package dev.notiflow.contracts;

import dev.notiflow.serde.Rejection;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/contracts.md stays complete: every topic, every link, every input rejection reason. */
class ContractsDocTest {

    private static final Path DOC = Path.of("..", "docs", "contracts.md");

    @Test
    void shouldDescribeEveryTopicWithItsSchemaAndExample() throws Exception {
        String doc = Files.readString(DOC);
        List<String> topics = new ArrayList<>(TopicSchemas.INPUT_TOPICS);
        topics.addAll(TopicSchemas.OUTPUT_TOPICS);

        for (String topic : topics) {
            assertThat(doc)
                    .contains("## `" + topic + "`")
                    .contains(TopicSchemas.schemaPath(topic) + ")")
                    .contains(TopicSchemas.examplePath(topic) + ")");
        }
    }

    @Test
    void everyRelativeLinkShouldPointToAnExistingFile() throws Exception {
        Matcher links = Pattern.compile("\\]\\((\\.\\./[^)#]+)\\)").matcher(Files.readString(DOC));
        int count = 0;
        while (links.find()) {
            count++;
            assertThat(DOC.getParent().resolve(links.group(1))).as(links.group(1)).isRegularFile();
        }
        assertThat(count).isGreaterThanOrEqualTo(14);
    }

    @Test
    void shouldExplainEveryInputRejectionReason() throws Exception {
        String doc = Files.readString(DOC);
        int count = 0;
        for (Field f : Rejection.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                count++;
                assertThat(doc).contains("| `" + f.get(null) + "` |");
            }
        }
        assertThat(count).isGreaterThanOrEqualTo(9);
    }
}
