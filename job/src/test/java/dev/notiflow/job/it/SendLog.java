package dev.notiflow.job.it;

import dev.notiflow.model.SendRequest;
import dev.notiflow.model.SendResult;
import dev.notiflow.model.SendStatus;
import dev.notiflow.sinks.ChannelSender;
import dev.notiflow.sinks.SenderFactory;
import dev.notiflow.sinks.ledger.LedgeredSender;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the pipeline tests measure around a crash, in this JVM (the MiniCluster runs here): every
 * send the job asked for ({@link #front}), every send that reached the recording provider ({@link
 * RecordingSenders}), when each was made and whether its answer reached the job; and, from {@link
 * FailOnceAfter}, when each checkpoint's barrier passed the events and which checkpoint each
 * attempt of the job restored. From these, {@link #crashes()} tells for every restart which
 * provider sends the restored job may repeat.
 */
final class SendLog {

    /** One send; {@code answered} once its answer reached the job (through every decorator). */
    static final class Send {
        final String notificationId;
        final long nanos;
        volatile boolean answered;

        Send(String notificationId, long nanos) {
            this.notificationId = notificationId;
            this.nanos = nanos;
        }
    }

    /** The first moment an attempt of the job ran, and the checkpoint it restored (or -1). */
    record Start(long nanos, long restoredCheckpoint) {}

    /**
     * What one crash left behind: the crashed attempt's provider sends, those made after the
     * barrier of the checkpoint the next attempt restored, those whose answer never reached the
     * job, and how many sends the next attempt asked for and the ledger answered without the
     * provider.
     *
     * @param replayable provider sends of the crashed attempt made after the restored barrier or
     *     not answered: what a job without the ledger may send again
     * @param unanswered provider sends of the crashed attempt whose answer (and, with the ledger,
     *     its record) never reached the job: what a job with the ledger may send again
     */
    record Crash(
            int number,
            long restoredCheckpoint,
            int providerSends,
            int sinceCheckpoint,
            int unanswered,
            int replayable,
            int attemptsAfter,
            int ledgerAnswersAfter) {}

    private static final Queue<Send> ATTEMPTS = new ConcurrentLinkedQueue<>();
    private static final Queue<Send> PROVIDER_SENDS = new ConcurrentLinkedQueue<>();
    private static final Queue<Long> LEDGER_ANSWERS = new ConcurrentLinkedQueue<>();
    private static final Map<SendRequest, Send> BY_REQUEST =
            Collections.synchronizedMap(new IdentityHashMap<>());
    private static final Map<Long, Long> BARRIERS = new ConcurrentHashMap<>();
    private static final Map<Integer, Start> STARTS = new ConcurrentHashMap<>();
    private static final AtomicLong LEDGER_FAILURES = new AtomicLong();
    private static final Set<String> ATTEMPTED_EVENTS = ConcurrentHashMap.newKeySet();
    private static final Set<String> ANSWERED_EVENTS = ConcurrentHashMap.newKeySet();

    private SendLog() {}

    static void reset() {
        ATTEMPTS.clear();
        PROVIDER_SENDS.clear();
        LEDGER_ANSWERS.clear();
        BY_REQUEST.clear();
        BARRIERS.clear();
        STARTS.clear();
        LEDGER_FAILURES.set(0);
        ATTEMPTED_EVENTS.clear();
        ANSWERED_EVENTS.clear();
    }

    /** A send reached the provider. */
    static void providerSend(SendRequest request) {
        Send send = new Send(request.notificationId(), System.nanoTime());
        PROVIDER_SENDS.add(send);
        BY_REQUEST.put(request, send);
    }

    /** The barrier of a checkpoint passed the events (the earliest subtask counts). */
    static void barrier(long checkpointId) {
        BARRIERS.merge(checkpointId, System.nanoTime(), Math::min);
    }

    /** An attempt of the job started, restoring that checkpoint or none (-1). */
    static void started(int attempt, long restoredCheckpoint) {
        Start start = new Start(System.nanoTime(), restoredCheckpoint);
        STARTS.merge(attempt, start, (a, b) -> a.nanos() <= b.nanos() ? a : b);
    }

    static int attempts() {
        return ATTEMPTS.size();
    }

    /** Sends the job asked for since that attempt of the job started (0 before it started). */
    static int attemptsInAttempt(int attempt) {
        Start start = STARTS.get(attempt);
        return start == null
                ? 0
                : (int) ATTEMPTS.stream().filter(s -> s.nanos >= start.nanos()).count();
    }

    /** Events for which the job asked for a send. */
    static int attemptedEvents() {
        return ATTEMPTED_EVENTS.size();
    }

    /** Whether a send of this event was answered (by the provider or the ledger). */
    static boolean answeredEvent(String eventId) {
        return ANSWERED_EVENTS.contains(eventId);
    }

    static int providerSends() {
        return PROVIDER_SENDS.size();
    }

    static int ledgerAnswers() {
        return LEDGER_ANSWERS.size();
    }

    /** Lookups and writes of the closed senders' ledgers that failed open. */
    static long ledgerFailures() {
        return LEDGER_FAILURES.get();
    }

    /** Provider sends beyond the first of each notification. */
    static int repeatedProviderSends() {
        return PROVIDER_SENDS.size()
                - (int) PROVIDER_SENDS.stream().map(s -> s.notificationId).distinct().count();
    }

    /** The attempts of the job {@link FailOnceAfter} saw start, the first one included. */
    static int jobAttempts() {
        return STARTS.size();
    }

    /** One entry per restart, in order (needs {@link FailOnceAfter} in the job). */
    static List<Crash> crashes() {
        List<Crash> crashes = new ArrayList<>();
        for (int k = 1; STARTS.containsKey(k); k++) {
            long from = STARTS.get(k - 1).nanos();
            long to = STARTS.get(k).nanos();
            long next = STARTS.containsKey(k + 1) ? STARTS.get(k + 1).nanos() : Long.MAX_VALUE;
            long restored = STARTS.get(k).restoredCheckpoint();
            long barrier =
                    restored >= 0 && BARRIERS.containsKey(restored)
                            ? Math.max(from, BARRIERS.get(restored))
                            : from;
            int sends = 0;
            int since = 0;
            int unanswered = 0;
            int replayable = 0;
            for (Send s : PROVIDER_SENDS) {
                if (s.nanos >= from && s.nanos < to) {
                    sends++;
                    boolean after = s.nanos >= barrier;
                    since += after ? 1 : 0;
                    unanswered += s.answered ? 0 : 1;
                    replayable += after || !s.answered ? 1 : 0;
                }
            }
            int attemptsAfter =
                    (int) ATTEMPTS.stream().filter(s -> s.nanos >= to && s.nanos < next).count();
            int answersAfter =
                    (int) LEDGER_ANSWERS.stream().filter(t -> t >= to && t < next).count();
            crashes.add(
                    new Crash(
                            k,
                            restored,
                            sends,
                            since,
                            unanswered,
                            replayable,
                            attemptsAfter,
                            answersAfter));
        }
        return crashes;
    }

    /**
     * The factory's senders as the job sees them: counts each send asked for, and marks the
     * provider send made for it answered once the answer comes back through the decorators in
     * between (an accepted answer without a provider send came from the ledger).
     */
    static SenderFactory front(SenderFactory inner) {
        return new Front(inner);
    }

    private static final class Front implements SenderFactory {
        private static final long serialVersionUID = 1L;
        private final SenderFactory inner;

        Front(SenderFactory inner) {
            this.inner = inner;
        }

        @Override
        public ChannelSender create() {
            ChannelSender sender = inner.create();
            return new ChannelSender() {
                @Override
                public CompletableFuture<SendResult> send(SendRequest request) {
                    ATTEMPTS.add(new Send(request.notificationId(), System.nanoTime()));
                    ATTEMPTED_EVENTS.add(request.eventId());
                    return sender.send(request).whenComplete((r, e) -> answered(request, r));
                }

                @Override
                public void close() {
                    sender.close();
                    if (sender instanceof LedgeredSender ledgered) {
                        LEDGER_FAILURES.addAndGet(ledgered.ledgerFailures());
                    }
                }
            };
        }
    }

    private static void answered(SendRequest request, SendResult result) {
        if (result != null) {
            ANSWERED_EVENTS.add(request.eventId());
        }
        Send send = BY_REQUEST.get(request);
        if (send != null) {
            send.answered = true;
        } else if (result != null && result.status() == SendStatus.ACCEPTED) {
            LEDGER_ANSWERS.add(System.nanoTime());
        }
    }
}
