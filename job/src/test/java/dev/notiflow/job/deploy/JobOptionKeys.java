package dev.notiflow.job.deploy;

import org.apache.flink.configuration.ConfigOption;

import dev.notiflow.jdbc.JdbcOptions;
import dev.notiflow.job.JobOptions;
import dev.notiflow.job.LaneOptions;
import dev.notiflow.sinks.apns.ApnsOptions;
import dev.notiflow.sinks.email.EmailOptions;
import dev.notiflow.sinks.fcm.FcmOptions;
import dev.notiflow.sinks.ledger.LedgerOptions;
import dev.notiflow.sinks.live.LiveOptions;
import dev.notiflow.sinks.sms.SmsOptions;

import java.util.Set;
import java.util.TreeSet;

/**
 * The keys a job config file may hold: the job's own options, the senders', the database's and the
 * send ledger's.
 */
final class JobOptionKeys {

    private JobOptionKeys() {}

    static Set<String> known() {
        Set<String> keys = new TreeSet<>();
        for (ConfigOption<?> option : JobOptions.all()) {
            keys.add(option.key());
        }
        for (ConfigOption<?> option : LaneOptions.all()) {
            keys.add(option.key());
        }
        keys.addAll(FlinkOptionKeys.keysOf(ApnsOptions.class));
        keys.addAll(FlinkOptionKeys.keysOf(FcmOptions.class));
        keys.addAll(FlinkOptionKeys.keysOf(SmsOptions.class));
        keys.addAll(FlinkOptionKeys.keysOf(EmailOptions.class));
        keys.addAll(FlinkOptionKeys.keysOf(LiveOptions.class));
        keys.addAll(FlinkOptionKeys.keysOf(JdbcOptions.class));
        keys.addAll(FlinkOptionKeys.keysOf(LedgerOptions.class));
        return keys;
    }
}
