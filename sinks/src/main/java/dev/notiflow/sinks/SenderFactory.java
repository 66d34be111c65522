package dev.notiflow.sinks;

import java.io.Serializable;

/**
 * Creates a {@link ChannelSender} inside a task. The factory travels with the job graph, so it
 * holds only serializable settings (file paths, hosts, names of environment variables), never a
 * client or a secret's value.
 */
@FunctionalInterface
public interface SenderFactory extends Serializable {

    ChannelSender create();
}
