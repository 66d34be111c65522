package dev.notiflow.job;

import org.apache.flink.streaming.api.datastream.DataStream;

import dev.notiflow.model.DeadLetter;
import dev.notiflow.model.Delivery;
import dev.notiflow.model.ScheduledRetry;
import dev.notiflow.model.TokenInvalidation;

import java.util.List;

/**
 * Where the topology's results go. Production attaches Kafka (and JDBC) sinks; tests attach
 * collecting sinks. Each implementation gives its sinks their uids.
 */
public interface Outputs {

    /**
     * One record per final outcome, as one stream per operator that decides outcomes, so that an
     * implementation can encode each where it is made (chained to that operator) before the streams
     * meet at its sink.
     */
    void deliveries(List<DataStream<Delivery>> deliveries);

    /** Bad input with its original bytes, and sends that ended FAILED or EXHAUSTED. */
    void deadLetters(DataStream<DeadLetter> deadLetters);

    /** Device tokens a provider reported dead. */
    void tokenInvalidations(DataStream<TokenInvalidation> invalidations);

    /**
     * Sends to try again after their backoff; read back by the job through {@link
     * Inputs#retries()}.
     */
    void retries(DataStream<ScheduledRetry> retries);
}
