package dev.notiflow.job.operators;

import dev.notiflow.model.NotificationEvent;

/**
 * An audience event with its place in the one order every {@link AudienceWalker} subtask walks
 * audiences in.
 *
 * @param seq assigned by {@link AudienceSequencer}, increasing in the order the events came
 */
public record AudienceWalk(long seq, NotificationEvent event) {}
