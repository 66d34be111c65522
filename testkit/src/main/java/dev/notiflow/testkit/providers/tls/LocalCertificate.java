package dev.notiflow.testkit.providers.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed EC P-256 certificate for a local TLS server or client, made with the JDK's own
 * {@code keytool} (no BouncyCastle): subject alternative names {@code dns:localhost} and {@code
 * ip:127.0.0.1}, so clients verify the host name as they would in production.
 *
 * <p>{@link #generate(String)} writes, in a fresh temporary directory, a PKCS#12 key store with a
 * random password, the certificate as PEM (what a client trusts) and the private key as an
 * unencrypted PKCS#8 PEM (what netty and Pushy's mock server load).
 *
 * <pre>{@code
 * LocalCertificate server = LocalCertificate.generate("localhost");
 * clientBuilder.setTrustedServerCertificateChain(server.certificatePemFile().toFile());
 * }</pre>
 *
 * <p>{@link #shared(String)} reuses one certificate per common name within a JVM.
 *
 * <p>Immutable and thread-safe. The files live until the JVM exits (the directory is marked for
 * deletion on exit).
 */
public final class LocalCertificate {

    private static final String ALIAS = "local";
    private static final Map<String, LocalCertificate> SHARED = new ConcurrentHashMap<>();

    private final Path directory;
    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final Path certificatePemFile;
    private final Path privateKeyPemFile;
    private final Path pkcs12File;
    private final String pkcs12Password;

    private LocalCertificate(
            Path directory,
            X509Certificate certificate,
            PrivateKey privateKey,
            Path certificatePemFile,
            Path privateKeyPemFile,
            Path pkcs12File,
            String pkcs12Password) {
        this.directory = directory;
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.certificatePemFile = certificatePemFile;
        this.privateKeyPemFile = privateKeyPemFile;
        this.pkcs12File = pkcs12File;
        this.pkcs12Password = pkcs12Password;
    }

    /**
     * The certificate for a common name shared by everything in this JVM, generated on first use.
     * Running keytool costs seconds on a busy machine; servers and tests that only need <em>a</em>
     * certificate should share one.
     */
    public static LocalCertificate shared(String commonName) {
        return SHARED.computeIfAbsent(commonName, LocalCertificate::generate);
    }

    /**
     * Generates a new key pair and self-signed certificate valid for 30 days.
     *
     * @param commonName the subject's CN, e.g. {@code localhost} or a client's name
     * @throws UncheckedIOException when keytool cannot run or fails
     */
    public static LocalCertificate generate(String commonName) {
        try {
            Path dir = Files.createTempDirectory("notiflow-tls-");
            dir.toFile().deleteOnExit();
            byte[] random = new byte[12];
            new SecureRandom().nextBytes(random);
            String password = HexFormat.of().formatHex(random);
            Path p12 = dir.resolve(commonName.replaceAll("[^A-Za-z0-9.-]", "_") + ".p12");
            Path certPem = dir.resolve(p12.getFileName().toString().replace(".p12", ".crt.pem"));
            Path keyPem = dir.resolve(p12.getFileName().toString().replace(".p12", ".key.pem"));

            keytool(
                    "-genkeypair",
                    "-alias",
                    ALIAS,
                    "-keyalg",
                    "EC",
                    "-groupname",
                    "secp256r1",
                    "-sigalg",
                    "SHA256withECDSA",
                    "-dname",
                    "CN=" + commonName,
                    "-validity",
                    "30",
                    "-ext",
                    "SAN=dns:localhost,ip:127.0.0.1",
                    "-storetype",
                    "PKCS12",
                    "-keystore",
                    p12.toString(),
                    "-storepass",
                    password,
                    "-keypass",
                    password);
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(p12)) {
                store.load(in, password.toCharArray());
            }
            X509Certificate cert = (X509Certificate) store.getCertificate(ALIAS);
            PrivateKey key = (PrivateKey) store.getKey(ALIAS, password.toCharArray());
            Files.writeString(certPem, toPem("CERTIFICATE", cert.getEncoded()));
            Files.writeString(keyPem, toPem("PRIVATE KEY", key.getEncoded()));
            for (Path p : List.of(p12, certPem, keyPem)) {
                p.toFile().deleteOnExit();
            }
            return new LocalCertificate(dir, cert, key, certPem, keyPem, p12, password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the generated key store", e);
        }
    }

    /** Encodes DER bytes as a PEM block with the given label, lines of 64 characters. */
    public static String toPem(String label, byte[] der) {
        String body =
                Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    private static void keytool(String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(
                        "keytool "
                                + args[0]
                                + " failed: "
                                + new String(output, StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }

    /** The directory holding the generated files. */
    public Path directory() {
        return directory;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The certificate as PEM: what a client trusts to reach a server using this certificate. */
    public Path certificatePemFile() {
        return certificatePemFile;
    }

    /** The private key as unencrypted PKCS#8 PEM. */
    public Path privateKeyPemFile() {
        return privateKeyPemFile;
    }

    /** The key and certificate as a PKCS#12 key store, protected by {@link #pkcs12Password()}. */
    public Path pkcs12File() {
        return pkcs12File;
    }

    public String pkcs12Password() {
        return pkcs12Password;
    }

    /**
     * Writes the PKCS#12 password to a file in this certificate's directory, for clients that read
     * secrets from files.
     */
    public Path writePasswordFile() {
        Path file = directory.resolve(pkcs12File.getFileName() + ".password");
        try {
            Files.writeString(file, pkcs12Password);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
