package dev.notiflow.job.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Inspects the job jar for the cluster (target/notiflow-job-*-shaded.jar, built in the package
 * phase): what must be inside, what Flink provides and must stay out, the relocations that keep our
 * libraries from colliding with Flink's classpath, and that relocated service files and references
 * still work when the jar is loaded on its own.
 */
class ShadedJarITCase {

    private static final String RELOCATED = "dev/notiflow/shaded/";

    private static Path jar;
    private static List<String> entries;

    @BeforeAll
    static void open() throws IOException {
        jar = findShadedJar();
        try (JarFile file = new JarFile(jar.toFile())) {
            entries = file.stream().map(e -> e.getName()).collect(Collectors.toList());
        }
    }

    @Test
    void shouldNameTheJobMainClass() throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            assertThat(file.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("dev.notiflow.job.NotificationJob");
        }
        assertThat(entries).contains("dev/notiflow/job/NotificationJob.class");
    }

    @Test
    void shouldContainConnectorsAndProviderClients() {
        assertThat(entries)
                .contains(
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        "org/apache/kafka/clients/producer/KafkaProducer.class",
                        "org/apache/flink/connector/jdbc/core/datastream/sink/JdbcSink.class",
                        "org/postgresql/Driver.class",
                        "com/eatthepath/pushy/apns/ApnsClient.class",
                        "com/google/firebase/messaging/FirebaseMessaging.class",
                        "com/twilio/Twilio.class",
                        "org/eclipse/angus/mail/smtp/SMTPTransport.class",
                        "com/google/i18n/phonenumbers/PhoneNumberUtil.class",
                        "dev/notiflow/model/NotificationEvent.class",
                        "dev/notiflow/sinks/ChannelSender.class");
    }

    @Test
    void shouldLeaveOutWhatTheClusterProvides() {
        assertThat(
                        entriesUnder(
                                "org/apache/flink/api/common/",
                                "org/apache/flink/runtime/",
                                "org/apache/flink/streaming/api/environment/",
                                "org/apache/flink/shaded/",
                                "org/slf4j/",
                                "org/apache/logging/log4j/",
                                "org/apache/log4j/",
                                "org/bouncycastle/",
                                "org/xerial/snappy/"))
                .isEmpty();
    }

    @Test
    void shouldRelocateLibrariesThatCollideWithFlinksClasspath() {
        List<String> unrelocated =
                entriesUnder(
                        "com/fasterxml/jackson/",
                        "com/google/common/",
                        "com/google/gson/",
                        "com/google/protobuf/",
                        "io/grpc/",
                        "io/netty/",
                        "org/apache/hc/",
                        "org/apache/http/",
                        "org/yaml/snakeyaml/");
        assertThat(unrelocated).isEmpty();
        assertThat(entries)
                .contains(
                        RELOCATED + "com/fasterxml/jackson/databind/ObjectMapper.class",
                        RELOCATED + "com/google/common/collect/ImmutableList.class",
                        RELOCATED + "com/google/gson/Gson.class",
                        RELOCATED + "io/netty/channel/Channel.class",
                        RELOCATED
                                + "org/apache/hc/client5/http/impl/classic/CloseableHttpClient.class",
                        RELOCATED + "org/apache/http/client/HttpClient.class");
    }

    @Test
    void shouldRewriteReferencesToRelocatedClasses() throws IOException {
        String pushy = constantPool("com/eatthepath/pushy/apns/ApnsClient.class");
        assertThat(pushy).contains(RELOCATED + "io/netty/").doesNotContain("Lio/netty/");

        String twilio = constantPool("com/twilio/http/NetworkHttpClient.class");
        assertThat(twilio).contains(RELOCATED + "org/apache/hc/").doesNotContain("Lorg/apache/hc/");

        String googleHttp =
                constantPool("com/google/api/client/http/apache/v2/ApacheHttpTransport.class");
        assertThat(googleHttp)
                .contains(RELOCATED + "org/apache/http/")
                .doesNotContain("Lorg/apache/http/");
    }

    @Test
    void shouldStripSignaturesAndModuleDescriptors() {
        assertThat(entries)
                .noneMatch(e -> e.matches("META-INF/[^/]+\\.(SF|DSA|RSA|EC)"))
                .noneMatch(e -> e.endsWith("module-info.class"));
    }

    @Test
    void shouldMergeServiceFilesAndNettyVersions() throws IOException {
        assertThat(read("META-INF/services/jakarta.mail.Provider"))
                .contains("org.eclipse.angus.mail.smtp.SMTPProvider");
        assertThat(entries)
                .contains(
                        "META-INF/services/"
                                + "dev.notiflow.shaded.com.fasterxml.jackson.databind.Module")
                .doesNotContain("META-INF/services/com.fasterxml.jackson.databind.Module");
        Properties netty = new Properties();
        netty.load(new java.io.StringReader(read("META-INF/io.netty.versions.properties")));
        assertThat(netty.stringPropertyNames())
                .contains(
                        "netty-codec-http2.version",
                        "netty-handler.version",
                        "netty-common.version");
    }

    @Test
    void shouldLoadBoringSslForTheRelocatedNettyInIsolation() throws Exception {
        // Pushy uses OpenSSL (netty-tcnative) when netty finds it; relocated netty looks for its
        // native library under the relocation prefix.
        try (URLClassLoader isolated =
                new URLClassLoader(
                        new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> openSsl =
                    isolated.loadClass(
                            RELOCATED.replace('/', '.') + "io.netty.handler.ssl.OpenSsl");
            Object cause = openSsl.getMethod("unavailabilityCause").invoke(null);
            assertThat(cause).as("why OpenSSL is unavailable").isNull();
            assertThat(openSsl.getMethod("isAvailable").invoke(null)).isEqualTo(true);
            assertThat(openSsl.getMethod("versionString").invoke(null).toString())
                    .contains("BoringSSL");
        }
    }

    @Test
    void shouldFindTheSmtpTransportThroughServiceLoadingInIsolation() throws Exception {
        try (URLClassLoader isolated =
                new URLClassLoader(
                        new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            ClassLoader previous = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(isolated);
            try {
                Class<?> session = isolated.loadClass("jakarta.mail.Session");
                Object instance =
                        session.getMethod("getInstance", Properties.class)
                                .invoke(null, new Properties());
                Object transport =
                        session.getMethod("getTransport", String.class).invoke(instance, "smtp");
                assertThat(transport.getClass().getName())
                        .isEqualTo("org.eclipse.angus.mail.smtp.SMTPTransport");

                Class<?> mapper =
                        isolated.loadClass(
                                "dev.notiflow.shaded.com.fasterxml.jackson.databind.ObjectMapper");
                Object om = mapper.getConstructor().newInstance();
                Object tree =
                        mapper.getMethod("readTree", String.class)
                                .invoke(om, "{\"eventId\":\"e1\"}");
                assertThat(tree.toString()).isEqualTo("{\"eventId\":\"e1\"}");
            } finally {
                Thread.currentThread().setContextClassLoader(previous);
            }
        }
    }

    private static List<String> entriesUnder(String... prefixes) {
        List<String> found = new ArrayList<>();
        for (String entry : entries) {
            for (String prefix : prefixes) {
                if (entry.startsWith(prefix) && !entry.endsWith("/")) {
                    found.add(entry);
                    break;
                }
            }
        }
        return found;
    }

    private static String read(String entry) throws IOException {
        try (JarFile file = new JarFile(jar.toFile());
                InputStream in = file.getInputStream(file.getEntry(entry))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The class file's bytes as text: class and descriptor names appear in it verbatim. */
    private static String constantPool(String entry) throws IOException {
        assertThat(entries).contains(entry);
        try (JarFile file = new JarFile(jar.toFile());
                InputStream in = file.getInputStream(file.getEntry(entry))) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static Path findShadedJar() throws IOException {
        Path target = Path.of("target");
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> jars =
                    Files.newDirectoryStream(target, "notiflow-job-*-shaded.jar")) {
                jars.forEach(found::add);
            }
        }
        assertThat(found)
                .as(
                        "the shaded jar in %s: run `mvn -pl job verify` (package builds it)",
                        target.toAbsolutePath())
                .hasSize(1);
        return found.get(0);
    }
}
