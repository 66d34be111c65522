package dev.notiflow.testkit.redis;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalRedisTest {

    @Test
    void shouldRequireItsPasswordAndStopOnClose() throws Exception {
        LocalRedis redis = LocalRedis.start();
        int port = redis.port();
        try {
            assertThat(send(port, "*1\r\n$4\r\nPING\r\n")).startsWith("-NOAUTH");
            String auth =
                    "*2\r\n$4\r\nAUTH\r\n$"
                            + redis.password().length()
                            + "\r\n"
                            + redis.password()
                            + "\r\n";
            assertThat(send(port, auth)).isEqualTo("+OK");
            assertThat(redis.uri())
                    .isEqualTo("redis://:" + redis.password() + "@127.0.0.1:" + port);
        } finally {
            redis.close();
        }
        assertThat(redis.isRunning()).isFalse();
        assertThat(redis.passwordFile()).doesNotExist();
        assertThatThrownBy(() -> send(port, "*1\r\n$4\r\nPING\r\n"))
                .isInstanceOf(ConnectException.class);
    }

    private static String send(int port, String command) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(command.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(
                            new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
        }
    }
}
