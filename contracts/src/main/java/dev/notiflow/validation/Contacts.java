package dev.notiflow.validation;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;

import java.util.regex.Pattern;

/**
 * Contact checks made before anything is sent: phone numbers must be valid E.164 numbers
 * (libphonenumber), email addresses must be plain {@code local@domain.tld} addresses without
 * whitespace or control characters. Stateless and thread-safe.
 */
public final class Contacts {

    private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();

    private static final Pattern EMAIL =
            Pattern.compile(
                    "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@"
                            + "(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                            + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$");

    private static final Pattern NUMERIC_TLD = Pattern.compile("\\.[0-9]+$");

    private Contacts() {}

    /** Whether the number is written in E.164 ({@code +} and digits) and is a valid number. */
    public static boolean isValidE164(String phone) {
        if (phone == null || !phone.matches("\\+[1-9][0-9]{6,14}")) {
            return false;
        }
        try {
            Phonenumber.PhoneNumber n = PHONES.parse(phone, null);
            return PHONES.isValidNumber(n);
        } catch (NumberParseException e) {
            return false;
        }
    }

    /**
     * Whether the address is a plain, header-safe email address: a dot-atom local part (no dot
     * first, last or twice in a row, RFC 5322) and a domain whose top-level label is not all digits
     * (RFC 3696 section 2).
     */
    public static boolean isValidEmail(String email) {
        return email != null
                && email.length() <= 254
                && EMAIL.matcher(email).matches()
                && !email.startsWith(".")
                && !email.contains("..")
                && !email.contains(".@")
                && !NUMERIC_TLD.matcher(email).find();
    }

    /** Masks a contact or token for logs: the first few characters and an ellipsis. */
    public static String mask(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() <= 4 ? "…" : value.substring(0, 4) + "…";
    }
}
