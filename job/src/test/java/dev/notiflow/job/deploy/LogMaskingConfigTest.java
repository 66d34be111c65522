package dev.notiflow.job.deploy;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loads the cluster's log4j configurations (flink-conf/log4j.properties for files,
 * flink-conf/log4j-console.properties for containers) and proves that their layouts mask e-mail
 * addresses, E.164 phone numbers and device tokens, in messages and stack traces, while Flink's own
 * ids stay readable.
 */
class LogMaskingConfigTest {

    private static final String EMAIL = "jane.doe+news@mail.example.co.kr";
    private static final String PHONE = "+821012345678";
    private static final String APNS_TOKEN =
            "7c6e1b0f2a4d4f8e9b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2";
    private static final String FCM_TOKEN =
            "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx3ZPaXj3uO2Hh0w8Mq1WqvYhVgJm0QeH6rCxEy_kd9";
    private static final String FLINK_JOB_ID = "5f4a2b3c4d5e6f708192a3b4c5d6e7f8";

    @TempDir Path temp;

    private LoggerContext context;

    @AfterEach
    void stopContext() {
        if (context != null) {
            context.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"log4j.properties, MainAppender", "log4j-console.properties, ConsoleAppender"})
    void shouldMaskEmailPhoneAndTokensInMessages(String file, String appender) throws IOException {
        String line =
                format(
                        file,
                        appender,
                        event(
                                "send to {} / {} failed for devices {} and {}",
                                null,
                                EMAIL,
                                PHONE,
                                APNS_TOKEN,
                                FCM_TOKEN));

        assertThat(line)
                .doesNotContain(EMAIL, PHONE, APNS_TOKEN, FCM_TOKEN, "jane.doe", "12345678")
                .contains("send to <email> / <phone> failed for devices <token> and <token>");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"log4j.properties, MainAppender", "log4j-console.properties, ConsoleAppender"})
    void shouldMaskPersonalDataInStackTraces(String file, String appender) throws IOException {
        IllegalStateException error =
                new IllegalStateException(
                        "550 5.1.1 <" + EMAIL + ">: mailbox unavailable",
                        new RuntimeException("token " + APNS_TOKEN + " of " + PHONE));

        String line = format(file, appender, event("SMTP send failed", error));

        assertThat(line)
                .doesNotContain(EMAIL, PHONE, APNS_TOKEN)
                .contains("SMTP send failed")
                .contains(
                        "java.lang.IllegalStateException: 550 5.1.1 <<email>>: mailbox unavailable")
                .contains("Caused by: java.lang.RuntimeException: token <token> of <phone>")
                .contains("at dev.notiflow.job.deploy.LogMaskingConfigTest");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"log4j.properties, MainAppender", "log4j-console.properties, ConsoleAppender"})
    void shouldKeepFlinkIdsNumbersAndTimestampsReadable(String file, String appender)
            throws IOException {
        String message =
                "Job "
                        + FLINK_JOB_ID
                        + " checkpoint 42 took 1234 ms at 2026-11-21T22:00:00Z, order +12 items;"
                        + " job manager 00000000000000000000000000000000@pekko.tcp://flink@localhost:6123"
                        + "/user/rpc/jobmanager_2";

        String line = format(file, appender, event(message, null));

        assertThat(line).contains(message).contains("INFO").contains("dev.notiflow.job.Test");
    }

    @Test
    void shouldWriteMaskedLinesToTheClusterLogFile() throws IOException {
        Path logFile = temp.resolve("flink-taskmanager.log");
        System.setProperty("log.file", logFile.toString());
        try {
            context = start("log4j.properties");
            context.getLogger("dev.notiflow.sinks.Sender")
                    .warn("rejected {} for user with phone {}", EMAIL, PHONE);
            context.stop();
            context = null;
        } finally {
            System.clearProperty("log.file");
        }

        String written = Files.readString(logFile, StandardCharsets.UTF_8);
        assertThat(written)
                .contains(
                        "WARN",
                        "dev.notiflow.sinks.Sender",
                        "rejected <email> for user with phone <phone>")
                .doesNotContain(EMAIL, PHONE);
    }

    private String format(String file, String appenderName, LogEvent event) throws IOException {
        System.setProperty("log.file", temp.resolve("unused.log").toString());
        try {
            context = start(file);
        } finally {
            System.clearProperty("log.file");
        }
        Appender appender = context.getConfiguration().getAppender(appenderName);
        assertThat(appender).as("appender %s in %s", appenderName, file).isNotNull();
        return appender.getLayout().toSerializable(event).toString();
    }

    private LoggerContext start(String file) throws IOException {
        Path config = DeployFiles.file(file);
        LoggerContext ctx = new LoggerContext("pii-mask-" + file, null, config.toUri());
        Configuration configuration =
                new PropertiesConfigurationFactory()
                        .getConfiguration(ctx, ConfigurationSource.fromUri(config.toUri()));
        ctx.start(configuration);
        return ctx;
    }

    private static LogEvent event(String pattern, Throwable error, Object... args) {
        return Log4jLogEvent.newBuilder()
                .setLoggerName("dev.notiflow.job.Test")
                .setLoggerFqcn(LogMaskingConfigTest.class.getName())
                .setLevel(Level.INFO)
                .setMessage(new ParameterizedMessage(pattern, args))
                .setThrown(error)
                .build();
    }
}
