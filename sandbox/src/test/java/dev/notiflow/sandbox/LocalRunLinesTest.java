package dev.notiflow.sandbox;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How the local run cuts an input file into record values: bytes as they are. */
class LocalRunLinesTest {

    @Test
    void shouldKeepEveryByteOfALineAndDropOnlyTheLineEnd() {
        byte[] file = {
            '{',
            '}',
            '\r',
            '\n', // CRLF
            (byte) 0xC3,
            0x28,
            '\n', // invalid UTF-8
            'a',
            0x00,
            'b',
            '\n', // a raw NUL
            '\n', // empty
            'x',
            '\r',
            'y' // CR inside, no final line end
        };

        List<byte[]> lines = LocalRun.lines(file);

        assertThat(lines)
                .containsExactly(
                        new byte[] {'{', '}'},
                        new byte[] {(byte) 0xC3, 0x28},
                        new byte[] {'a', 0x00, 'b'},
                        new byte[] {},
                        new byte[] {'x', '\r', 'y'});
    }

    @Test
    void shouldNotDecodeLinesAsText() {
        byte[] notUtf8 = {(byte) 0xFF, (byte) 0xFE, '{', '}'};

        assertThat(LocalRun.lines(notUtf8)).containsExactly(notUtf8);
    }
}
