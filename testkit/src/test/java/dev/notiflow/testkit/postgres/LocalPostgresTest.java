package dev.notiflow.testkit.postgres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalPostgresTest {

    @TempDir Path tmp;

    @Test
    void shouldPickTheNewestVersionWithServerBinaries() throws IOException {
        fakeBinDir(tmp.resolve("9.6/bin"));
        fakeBinDir(tmp.resolve("15/bin"));
        fakeBinDir(tmp.resolve("13/bin"));
        Files.createDirectories(tmp.resolve("17/bin"));

        assertThat(LocalPostgres.newestDebianBinDir(tmp)).contains(tmp.resolve("15/bin"));
    }

    @Test
    void shouldFindNothingUnderAMissingRoot() {
        assertThat(LocalPostgres.newestDebianBinDir(tmp.resolve("absent"))).isEmpty();
    }

    @Test
    void shouldUseTheBinDirectoryFromTheEnvironment() throws IOException {
        Path bin = fakeBinDir(tmp.resolve("custom/bin"));

        assertThat(LocalPostgres.findBinDir(Map.of(LocalPostgres.ENV_BIN, bin.toString())))
                .isEqualTo(bin);
    }

    @Test
    void shouldSayWhatToInstallWhenTheBinDirectoryHasNoInitdb() {
        assertThatThrownBy(
                        () ->
                                LocalPostgres.findBinDir(
                                        Map.of(LocalPostgres.ENV_BIN, tmp.toString())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("initdb not found")
                .hasMessageContaining("install postgresql (scripts/test.sh does it");
    }

    @Test
    void shouldUseTheExternalServerNamedByTheEnvironment() {
        LocalPostgres pg =
                LocalPostgres.builder()
                        .environment(
                                Map.of(
                                        LocalPostgres.ENV_URL, "jdbc:postgresql://db:5432/n",
                                        LocalPostgres.ENV_USER, "app",
                                        LocalPostgres.ENV_PASSWORD, "secret"))
                        .start();

        assertThat(pg.isExternal()).isTrue();
        assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/n");
        assertThat(pg.user()).isEqualTo("app");
        assertThat(pg.password()).isEqualTo("secret");
        assertThat(pg.passwordFile()).hasContent("secret");
        assertThat(pg.jdbcOptions())
                .containsEntry("jdbc.url", "jdbc:postgresql://db:5432/n")
                .containsEntry("jdbc.password-file", pg.passwordFile().toString());
        assertThatThrownBy(pg::stop)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining(LocalPostgres.ENV_URL);
        pg.close();
        assertThat(pg.passwordFile()).doesNotExist();
    }

    private static Path fakeBinDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : new String[] {"initdb", "pg_ctl"}) {
            Path file = Files.createFile(dir.resolve(name));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir;
    }
}
