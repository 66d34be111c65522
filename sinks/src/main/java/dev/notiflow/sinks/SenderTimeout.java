package dev.notiflow.sinks;

import org.apache.flink.util.TimeUtils;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The longest a sender takes to answer one send by its own timeouts, with the settings it is made
 * of, e.g. {@code email.smtp.connect-timeout (10 s) + email.smtp.read-timeout (30 s)}. The async
 * operator's timeout must be above it: an operator that gives up first turns a send the provider
 * may still accept into a retry, so the notification is sent twice.
 *
 * <pre>{@code
 * SenderTimeout own = SenderTimeout.of("sms.connect-timeout", connect).plus("sms.read-timeout", read);
 * boolean safe = asyncTimeout.compareTo(own.total()) > 0;
 * }</pre>
 *
 * <p>Immutable and serializable.
 *
 * @param total the sum of the terms
 * @param terms each setting with its value, in the order they add up
 */
public record SenderTimeout(Duration total, List<String> terms) implements Serializable {

    private static final long serialVersionUID = 1L;

    public SenderTimeout {
        Objects.requireNonNull(total, "total");
        terms = List.copyOf(terms);
    }

    /** One setting's value. */
    public static SenderTimeout of(String key, Duration value) {
        return new SenderTimeout(value, List.of(key + " (" + human(value) + ")"));
    }

    /** This plus one more setting's value. */
    public SenderTimeout plus(String key, Duration value) {
        return plus(of(key, value));
    }

    /** This plus another sender's timeout, e.g. a secondary endpoint tried after the primary. */
    public SenderTimeout plus(SenderTimeout other) {
        return new SenderTimeout(
                total.plus(other.total),
                Stream.concat(terms.stream(), other.terms.stream()).collect(Collectors.toList()));
    }

    /**
     * The same timeout with one setting named otherwise, e.g. the secondary endpoint's {@code
     * email.smtp.read-timeout} as {@code email.secondary.smtp.read-timeout}, the key it was set
     * with.
     */
    public SenderTimeout renamed(String key, String newKey) {
        String term = key + " (";
        return new SenderTimeout(
                total,
                terms.stream()
                        .map(t -> t.startsWith(term) ? newKey + t.substring(key.length()) : t)
                        .collect(Collectors.toList()));
    }

    /** The terms and their sum, e.g. {@code a (10 s) + b (30 s) = 40 s}. */
    public String describe() {
        String sum = String.join(" + ", terms);
        return terms.size() == 1 ? sum : sum + " = " + human(total);
    }

    /**
     * A duration as Flink's configuration writes it: {@code 30 s}, {@code 1 min}, {@code 1500 ms}.
     */
    public static String human(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }
}
