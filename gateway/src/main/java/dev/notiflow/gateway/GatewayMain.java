package dev.notiflow.gateway;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the gateway: {@code java -jar notiflow-gateway.jar --config gateway.yaml [--key value
 * ...]}; runs until the process is stopped.
 */
public final class GatewayMain {

    private GatewayMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> config = GatewayConfig.load(args);
        ApiKeys keys = ApiKeys.load(GatewayOptions.API_KEYS_FILE.get(config));
        Gateway gateway = new Gateway(config, keys).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    gateway.close();
                                    stopped.countDown();
                                },
                                "gateway-shutdown"));
        stopped.await();
    }
}
