package dev.notiflow.job.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's deployment files (flink-conf/) from a test's working directory. */
final class DeployFiles {

    private DeployFiles() {}

    /** The flink-conf directory: tests run in the module directory, one level below the root. */
    static Path flinkConf() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("flink-conf");
            if (Files.isRegularFile(candidate.resolve("config.yaml"))) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "flink-conf/config.yaml not found above " + Path.of("").toAbsolutePath());
    }

    static Path file(String relative) {
        return flinkConf().resolve(relative);
    }
}
