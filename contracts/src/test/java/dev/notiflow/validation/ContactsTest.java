package dev.notiflow.validation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class ContactsTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "+821012345678", // KR mobile
                "+14155552671", // US, San Francisco
                "+447911123456", // UK mobile
                "+819012345678", // JP mobile
                "+4915123456789" // DE mobile
            })
    void shouldAcceptValidE164Numbers(String phone) {
        assertThat(Contacts.isValidE164(phone)).isTrue();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "01012345678", // national format, no country code
                "821012345678", // no plus
                "+82 10 1234 5678", // spaces
                "+82-10-1234-5678", // dashes
                "+1 (415) 555-2671",
                "+1415555267", // one digit short
                "+1415555267100000", // longer than E.164 allows
                "+0123456789", // country codes never start with 0
                "+999123456789", // unassigned country code
                "+82101234567a",
                "+14155552671\n",
                "+14155552671\r\nX-Injected: 1",
                "tel:+14155552671",
                "+1555" // too short
            })
    void shouldRejectInvalidOrNonE164Numbers(String phone) {
        assertThat(Contacts.isValidE164(phone)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a@example.com",
                "first.last+tag@sub.example.co.kr",
                "o'neil@example.org",
                "user_name-1@example-mail.io",
                "x@a.b"
            })
    void shouldAcceptPlainEmailAddresses(String email) {
        assertThat(Contacts.isValidEmail(email)).isTrue();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "a@example.com\r\nBcc: victim@example.org", // header injection
                "a@example.com\n",
                "a@example.com\r",
                "\r\na@example.com",
                "a b@example.com", // space in local part
                " a@example.com",
                "a@example.com ",
                "a@exam ple.com",
                "a\t@example.com",
                "a..b@example.com", // double dot in local part
                "a@example..com", // double dot in domain
                ".a@example.com", // leading dot
                "a@example", // no TLD
                "a@localhost",
                "a@example.com.", // trailing dot in domain
                "a@.example.com",
                "a@-example.com",
                "a@example-.com",
                "a@@example.com",
                "a@b@example.com",
                "@example.com",
                "a@",
                "a",
                "<a@example.com>",
                "\"a\"@example.com",
                "a@exam_ple.com",
                "Name <a@example.com>"
            })
    void shouldRejectEmailAddressesThatAreNotPlainOrHeaderSafe(String email) {
        assertThat(Contacts.isValidEmail(email)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.@example.com", "first.last.@example.com", "a@example.123", "a@1.2"})
    void shouldRejectATrailingDotInTheLocalPartAndANumericTld(String email) {
        assertThat(Contacts.isValidEmail(email)).isFalse();
    }

    @Test
    void shouldRejectOverlongEmailParts() {
        String local65 = "a".repeat(65);
        String label64 = "b".repeat(64);

        assertThat(Contacts.isValidEmail("a".repeat(64) + "@example.com")).isTrue();
        assertThat(Contacts.isValidEmail(local65 + "@example.com")).isFalse();
        assertThat(Contacts.isValidEmail("a@" + label64 + ".com")).isFalse();
        assertThat(Contacts.isValidEmail("a@" + "c".repeat(63) + ".com")).isTrue();
    }

    @Test
    void shouldRejectAddressesLongerThan254Characters() {
        String domain = ("d".repeat(60) + ".").repeat(4) + "com"; // 247 characters
        String fits = "abcde@" + domain; // 253
        String tooLong = "abcdefgh@" + domain; // 256

        assertThat(fits).hasSize(253);
        assertThat(Contacts.isValidEmail(fits)).isTrue();
        assertThat(Contacts.isValidEmail(tooLong)).isFalse();
    }

    @Test
    void maskShouldShowAtMostFourCharacters() {
        assertThat(Contacts.mask("+821012345678")).isEqualTo("+821…");
        assertThat(Contacts.mask("alice@example.com")).isEqualTo("alic…");
        assertThat(Contacts.mask("abcd")).isEqualTo("…");
        assertThat(Contacts.mask("")).isEqualTo("…");
        assertThat(Contacts.mask(null)).isEqualTo("null");
    }
}
