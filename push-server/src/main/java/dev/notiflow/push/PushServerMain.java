package dev.notiflow.push;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a push server until the process is told to stop (SIGTERM), then drains it.
 *
 * <pre>
 * java -cp push-server.jar dev.notiflow.push.PushServerMain --config push-server.yaml \
 *     --live.port 8090 --live.redis-uri redis://127.0.0.1:6379
 * </pre>
 *
 * Arguments: {@code --config FILE} (YAML, nested keys joined with dots) and {@code --key value}
 * overrides, as for the job; the keys are {@link PushServerConfig.Option}.
 */
public final class PushServerMain {

    private static final Logger LOG = LoggerFactory.getLogger(PushServerMain.class);

    private PushServerMain() {}

    public static void main(String[] args) throws Exception {
        PushServerConfig config;
        try {
            config = PushServerConfig.load(args);
        } catch (IllegalArgumentException e) {
            System.err.println("push server: " + e.getMessage());
            System.exit(2);
            return;
        }
        PushServer server = PushServer.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "push-server-drain"));
        LOG.info(
                "Live endpoints: ws://{}:{}/v1/live/ws and http://{}:{}/v1/live/sse",
                config.host(),
                server.port(),
                config.host(),
                server.port());
        server.awaitClose();
    }
}
