package dev.notiflow.sinks.sms;

import dev.notiflow.sinks.sms.SmsSegments.Count;
import dev.notiflow.sinks.sms.SmsSegments.Encoding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SmsSegmentsTest {

    @Test
    void shouldCountPlainAsciiAsGsm7SingleSegment() {
        Count c = SmsSegments.count("Your order 123 has shipped.");
        assertThat(c.encoding()).isEqualTo(Encoding.GSM_7);
        assertThat(c.units()).isEqualTo(27);
        assertThat(c.segments()).isEqualTo(1);
    }

    @Test
    void shouldFit160GsmCharsInOneSegmentAnd161InTwo() {
        assertThat(SmsSegments.count("a".repeat(160)).segments()).isEqualTo(1);
        Count c = SmsSegments.count("a".repeat(161));
        assertThat(c.segments()).isEqualTo(2);
        assertThat(SmsSegments.split("a".repeat(161)))
                .extracting(String::length)
                .containsExactly(153, 8);
    }

    @Test
    void shouldCountGsmExtensionCharsAsTwoSeptets() {
        Count c = SmsSegments.count("{}[]~|^\\€");
        assertThat(c.encoding()).isEqualTo(Encoding.GSM_7);
        assertThat(c.units()).isEqualTo(18);
        assertThat(c.characters()).isEqualTo(9);
        // 80 euro signs are 160 septets: one segment; one more character makes two.
        assertThat(SmsSegments.count("€".repeat(80)).segments()).isEqualTo(1);
        assertThat(SmsSegments.count("€".repeat(80) + "a").segments()).isEqualTo(2);
    }

    @Test
    void shouldNeverSplitAnEscapeSequenceAcrossParts() {
        // 152 septets of 'a', then a 2-septet '{' that does not fit part one (153).
        String text = "a".repeat(152) + "{" + "b".repeat(10);
        List<String> parts = SmsSegments.split(text);
        assertThat(parts).hasSize(2);
        assertThat(parts.get(0)).isEqualTo("a".repeat(152));
        assertThat(parts.get(1)).startsWith("{");
        assertThat(String.join("", parts)).isEqualTo(text);
    }

    @Test
    void shouldKeepGsmAccentedLettersInGsm7() {
        assertThat(SmsSegments.encodingOf("Ça coûte 5€? é à ü ñ ß Ø Δ")).isEqualTo(Encoding.UCS_2);
        // 'û' is not in the GSM alphabet, the rest is.
        assertThat(SmsSegments.encodingOf("Ça coute 5€? é à ü ñ ß Ø Δ")).isEqualTo(Encoding.GSM_7);
    }

    @Test
    void shouldSwitchWholeTextToUcs2ForOneHangulChar() {
        String text = "a".repeat(69) + "한";
        Count c = SmsSegments.count(text);
        assertThat(c.encoding()).isEqualTo(Encoding.UCS_2);
        assertThat(c.units()).isEqualTo(70);
        assertThat(c.segments()).isEqualTo(1);
        assertThat(SmsSegments.count(text + "b").segments()).isEqualTo(2);
    }

    @Test
    void shouldSplitHangulInParts67() {
        String text = "안녕하세요".repeat(30); // 150 UTF-16 units
        Count c = SmsSegments.count(text);
        assertThat(c.units()).isEqualTo(150);
        assertThat(c.segments()).isEqualTo(3);
        assertThat(SmsSegments.split(text)).extracting(String::length).containsExactly(67, 67, 16);
    }

    @Test
    void shouldCountEmojiAsTwoUnitsAndNeverCutSurrogatePair() {
        String emoji = "😀"; // U+1F600, a surrogate pair
        Count one = SmsSegments.count(emoji.repeat(35));
        assertThat(one.encoding()).isEqualTo(Encoding.UCS_2);
        assertThat(one.units()).isEqualTo(70);
        assertThat(one.characters()).isEqualTo(35);
        assertThat(one.segments()).isEqualTo(1);

        // 'x' first so that each 67-unit boundary would fall inside a pair.
        String text = "x" + emoji.repeat(40);
        List<String> parts = SmsSegments.split(text);
        assertThat(String.join("", parts)).isEqualTo(text);
        for (String part : parts) {
            assertThat(part.length()).isLessThanOrEqualTo(SmsSegments.UCS2_PART);
            assertThat(Character.isLowSurrogate(part.charAt(0))).isFalse();
            assertThat(Character.isHighSurrogate(part.charAt(part.length() - 1))).isFalse();
        }
        // 81 units: part one takes 'x' + 33 emoji (67), part two the other 7 emoji.
        assertThat(parts).extracting(String::length).containsExactly(67, 14);
    }

    @Test
    void shouldNeedExtraPartWhenPairsDoNotPackEvenly() {
        // 134 units of emoji only: 33 pairs (66 units) per part because 67 is odd.
        String text = "😀".repeat(67);
        Count c = SmsSegments.count(text);
        assertThat(c.units()).isEqualTo(134);
        assertThat(c.segments()).isEqualTo(3);
    }

    @Test
    void shouldCountEmptyTextAsOneSegment() {
        Count c = SmsSegments.count("");
        assertThat(c.segments()).isEqualTo(1);
        assertThat(c.encoding()).isEqualTo(Encoding.GSM_7);
    }
}
