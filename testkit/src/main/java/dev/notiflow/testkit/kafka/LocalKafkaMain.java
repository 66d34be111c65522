package dev.notiflow.testkit.kafka;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link LocalKafka} broker as a standalone process for scripts ({@code scripts/kafka.sh})
 * and the local run, until the process gets SIGTERM or SIGINT.
 *
 * <pre>
 * java -cp ... dev.notiflow.testkit.kafka.LocalKafkaMain [--port N] [--dir DIR]
 *      [--bootstrap-file FILE] [--topics name:partitions[:compact],...]
 * </pre>
 *
 * <ul>
 *   <li>{@code --port N}: fixed client port on localhost (default: a free port);
 *   <li>{@code --dir DIR}: data directory, emptied at start and kept at exit (default: a temporary
 *       directory deleted at exit);
 *   <li>{@code --bootstrap-file FILE}: written (atomically) with {@code localhost:PORT} once the
 *       broker serves and the topics exist, and deleted at exit;
 *   <li>{@code --topics}: topics to create, e.g. {@code
 *       notification-events:4,user-preferences:4:compact}.
 * </ul>
 *
 * <p>Once ready it prints one line {@code Kafka ready at localhost:PORT} on standard output. Any
 * process on this machine (e.g. a Flink standalone cluster) can connect to that address.
 */
public final class LocalKafkaMain {

    private static final Logger LOG = LoggerFactory.getLogger(LocalKafkaMain.class);

    private LocalKafkaMain() {}

    /** A topic to create at start. */
    record TopicSpec(String name, int partitions, boolean compacted) {

        /** Parses {@code name:partitions[:compact]}; partitions default to 1. */
        static TopicSpec parse(String spec) {
            String[] parts = spec.trim().split(":");
            if (parts[0].isEmpty() || parts.length > 3) {
                throw new IllegalArgumentException(
                        "bad topic '" + spec + "', expected name:partitions[:compact]");
            }
            int partitions = 1;
            if (parts.length >= 2) {
                try {
                    partitions = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad partition count in '" + spec + "'", e);
                }
                if (partitions < 1) {
                    throw new IllegalArgumentException(
                            "partition count must be >= 1 in '" + spec + "'");
                }
            }
            boolean compacted = false;
            if (parts.length == 3) {
                if (!parts[2].equals("compact")) {
                    throw new IllegalArgumentException(
                            "bad topic option '"
                                    + parts[2]
                                    + "' in '"
                                    + spec
                                    + "', only 'compact'");
                }
                compacted = true;
            }
            return new TopicSpec(parts[0], partitions, compacted);
        }
    }

    /** Parsed command line. */
    record Options(int port, Path dir, Path bootstrapFile, List<TopicSpec> topics) {

        static Options parse(String[] args) {
            int port = 0;
            Path dir = null;
            Path bootstrapFile = null;
            List<TopicSpec> topics = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--help") || arg.equals("-h")) {
                    throw new IllegalArgumentException(usage());
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + arg + "\n" + usage());
                }
                String value = args[++i];
                switch (arg) {
                    case "--port" -> {
                        try {
                            port = Integer.parseInt(value);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("bad --port " + value, e);
                        }
                    }
                    case "--dir" -> dir = Path.of(value);
                    case "--bootstrap-file" -> bootstrapFile = Path.of(value);
                    case "--topics" -> {
                        for (String spec : value.split(",")) {
                            if (!spec.isBlank()) {
                                topics.add(TopicSpec.parse(spec));
                            }
                        }
                    }
                    default ->
                            throw new IllegalArgumentException(
                                    "unknown option " + arg + "\n" + usage());
                }
            }
            return new Options(port, dir, bootstrapFile, List.copyOf(topics));
        }

        static String usage() {
            return "usage: LocalKafkaMain [--port N] [--dir DIR] [--bootstrap-file FILE]"
                    + " [--topics name:partitions[:compact],...]";
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LocalKafka.Builder builder = LocalKafka.builder().port(options.port());
        if (options.dir() != null) {
            builder.dataDirectory(options.dir());
        }
        LocalKafka kafka = builder.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    LOG.info("Stopping Kafka at {}", kafka.bootstrapServers());
                                    deleteQuietly(options.bootstrapFile());
                                    kafka.close();
                                    stopped.countDown();
                                },
                                "local-kafka-shutdown"));
        for (TopicSpec topic : options.topics()) {
            kafka.createTopic(topic.name(), topic.partitions(), topic.compacted());
        }
        if (options.bootstrapFile() != null) {
            writeAtomically(options.bootstrapFile(), kafka.bootstrapServers() + "\n");
        }
        String ready = "Kafka ready at " + kafka.bootstrapServers();
        LOG.info(ready);
        System.out.println(ready);
        System.out.flush();
        stopped.await();
    }

    private static void writeAtomically(Path file, String content) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("Could not delete {}", file, e);
        }
    }
}
