package dev.notiflow.serde;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class InstantWriterTest {

    /** Jackson's own InstantSerializer, as the topics were written before. */
    private static final ObjectMapper JACKSON =
            new ObjectMapper()
                    .registerModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @Test
    void shouldWriteWhatTheIsoFormatterWrites() throws Exception {
        List<Instant> instants = new ArrayList<>();
        for (String text :
                List.of(
                        "1970-01-01T00:00:00Z",
                        "1969-12-31T23:59:59.999999999Z",
                        "0000-01-01T00:00:00Z",
                        "9999-12-31T23:59:59.999999999Z",
                        "2026-12-02T15:40:54.100Z",
                        "2026-12-02T15:40:54.000001Z",
                        "2026-12-02T15:40:54.000000001Z",
                        "2024-02-29T12:00:00.120Z",
                        "2026-12-02T15:40:54.123456Z",
                        "2026-12-02T15:40:54.123456780Z")) {
            instants.add(Instant.parse(text));
        }
        // Outside four-digit years the formatter writes a sign: handed to it.
        instants.add(Instant.parse("+10000-01-01T00:00:00Z"));
        instants.add(Instant.parse("-0001-12-31T23:59:59Z"));
        instants.add(Instant.MIN);
        instants.add(Instant.MAX);
        SplittableRandom random = new SplittableRandom(7);
        long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long end = Instant.parse("+10000-01-01T00:00:00Z").getEpochSecond();
        for (int i = 0; i < 100_000; i++) {
            int nanos =
                    switch (i % 4) {
                        case 0 -> 0;
                        case 1 -> random.nextInt(1000) * 1_000_000;
                        case 2 -> random.nextInt(1_000_000) * 1_000;
                        default -> random.nextInt(1_000_000_000);
                    };
            instants.add(Instant.ofEpochSecond(random.nextLong(min - 1000, end + 1000), nanos));
        }

        for (Instant instant : instants) {
            String expected = "\"" + DateTimeFormatter.ISO_INSTANT.format(instant) + "\"";
            assertThat(Json.MAPPER.writeValueAsString(instant))
                    .as("%s", instant)
                    .isEqualTo(expected);
            assertThat(JACKSON.writeValueAsString(instant)).isEqualTo(expected);
        }
    }

    @Test
    void shouldWriteInstantsInsideRecordsAndReadThemBack() {
        Instant at = Instant.parse("2026-12-02T15:40:54.123Z");
        Stamped stamped = new Stamped("n1", at, null);

        String text = Json.toText(stamped);

        assertThat(text)
                .isEqualTo("{\"id\":\"n1\",\"at\":\"2026-12-02T15:40:54.123Z\",\"none\":null}");
        assertThat(Json.fromBytes(Json.toBytes(stamped), Stamped.class)).isEqualTo(stamped);
    }

    record Stamped(String id, Instant at, Instant none) {}
}
